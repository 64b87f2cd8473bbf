using Hangfire;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImapEvents.Core.Actions;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Tests.TestSupport;
using static ImapEvents.Tests.TestSupport.ActionFixture;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.Infrastructure;

public sealed class ActionDeliveryTests(ActionFixture fixture) : IClassFixture<ActionFixture>
{
    private static RuleAction LogFile(string fileName, TimeSpan? maxFrequency, string? message = null)
    {
        var action = RuleAction.Create(ActionKind.LogToFile);
        action.FileName = fileName;
        action.MaxFrequency = maxFrequency;
        action.Message = message;
        return action;
    }

    private static string? DeliveryIdIn(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("data").GetProperty("deliveryId").GetString();
    }

    [Fact]
    public async Task Webhook_IsSignedInTheStandardWebhooksStyle_AndDescribesTheEvent()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        var secret = WebhookSecrets.Generate();
        await fixture.SaveRuleAsync(user, Webhook(receiver.Url("/hooks/imap?server={ServerName}"), secret));

        var imapEvent = await fixture.RaiseAsync(user);
        var delivery = Assert.Single(await fixture.DeliveriesAsync(imapEvent.Id));
        Assert.Equal(DeliveryStatus.Pending, delivery.Status);
        Assert.NotNull(delivery.JobId);
        await fixture.RunJobAsync(delivery.Id);

        var request = await receiver.WaitForRequestAsync();
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hooks/imap", request.Path);
        Assert.Equal("?server=imap.example.com", request.Query);
        Assert.StartsWith("application/json", request.ContentType, StringComparison.Ordinal);
        // Exactly the delivery id the body carries, so receivers de-duplicate on either.
        Assert.Equal(delivery.Id.ToString(), request.Headers["webhook-id"]);
        var timestamp = long.Parse(request.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - timestamp, 0, 60);
        // Verified the way a receiver would, from the secret it was given.
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{request.Headers["webhook-id"]}.{timestamp}.{request.Body}")));
        Assert.Equal(expected, request.Headers["webhook-signature"]);

        using var document = JsonDocument.Parse(request.Body);
        Assert.Equal("imap.login_failed", document.RootElement.GetProperty("type").GetString());
        var data = document.RootElement.GetProperty("data");
        Assert.Equal(request.Headers["webhook-id"], data.GetProperty("deliveryId").GetString());
        Assert.Equal("IMAP Login Failed", data.GetProperty("eventType").GetString());
        Assert.Equal(user, data.GetProperty("loginUsername").GetString());
        Assert.Equal(993, data.GetProperty("serverPort").GetInt32());
        Assert.True(data.GetProperty("ssl").GetBoolean());
        Assert.Equal("Authentication failed.", data.GetProperty("error").GetString());
        Assert.Equal($"Rule for {user}", data.GetProperty("ruleName").GetString());

        var done = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Delivered, done.Status);
        Assert.Equal(200, done.LastResponseCode);
        Assert.Equal(1, done.Attempts);
        var attempt = Assert.Single(await fixture.AttemptsAsync(delivery.Id));
        Assert.True(attempt.Succeeded);
    }

    [Fact]
    public async Task AWebhookThatAnswers500_IsRetried_AndTheSecondAttemptDelivers()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.AnswerWith(500);
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Webhook(receiver.Url("/hook"), WebhookSecrets.Generate()));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        var failure = await Assert.ThrowsAsync<DeliveryFailedException>(() => fixture.RunJobAsync(delivery.Id));
        Assert.Contains("HTTP 500", failure.Message, StringComparison.Ordinal);
        var retrying = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Retrying, retrying.Status);
        Assert.Equal(500, retrying.LastResponseCode);
        Assert.Contains("the receiver is having a bad day", retrying.LastError, StringComparison.Ordinal);

        await fixture.RunJobAsync(delivery.Id);

        var delivered = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Delivered, delivered.Status);
        Assert.Equal(2, delivered.Attempts);
        Assert.Equal([false, true], (await fixture.AttemptsAsync(delivery.Id)).Select(a => a.Succeeded));
        // The same webhook-id both times, and the body's deliveryId, so the receiver can tell it is one delivery.
        Assert.All(receiver.Requests, r => Assert.Equal(delivery.Id.ToString(), r.Headers["webhook-id"]));
        Assert.All(receiver.Requests, r => Assert.Equal(r.Headers["webhook-id"], DeliveryIdIn(r.Body)));
    }

    [Fact]
    public async Task AReceiverWithAnEndlessErrorBody_IsReadOnlyAsFarAsItsStart()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.EndlessErrorBody = true;
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Webhook(receiver.Url("/hook"), WebhookSecrets.Generate()));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await Assert.ThrowsAsync<DeliveryFailedException>(() => fixture.RunJobAsync(delivery.Id));

        // The attempt ends with the receiver's status and the start of its body, not with the
        // timeout that reading the whole (endless) body ran into, and the app hung up early.
        var retrying = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(500, retrying.LastResponseCode);
        Assert.StartsWith("HTTP 500 Internal Server Error: xxxx", retrying.LastError, StringComparison.Ordinal);
        Assert.True(receiver.EndlessBytesSent < 64L * 1024 * 1024, $"{receiver.EndlessBytesSent} bytes went out before the app hung up.");
    }

    [Fact]
    public async Task TheActionsClient_NeverBuffersMoreThanTheStartOfAnAnswer()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.EndlessErrorBody = true;
        var client = fixture.Service<IHttpClientFactory>().CreateClient(HttpActionSender.ClientName);

        // A buffered read (the default) of an endless answer fails at the cap instead of filling memory.
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(receiver.Url("/hook")));

        Assert.Contains("buffer", refused.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(SendResult.SnippetBytes, client.MaxResponseContentBufferSize);
    }

    [Fact]
    public async Task AReceiverThatNeverAnswers_FailsTheAttemptAfterTheTimeout()
    {
        await using var silent = new SilentListener();
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Webhook($"http://127.0.0.1:{silent.Port}/hook", WebhookSecrets.Generate()));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await Assert.ThrowsAsync<DeliveryFailedException>(() => fixture.RunJobAsync(delivery.Id));

        var retrying = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Retrying, retrying.Status);
        Assert.Equal("No answer from 127.0.0.1 within 2 s.", retrying.LastError);
        Assert.Null(retrying.LastResponseCode);
    }

    [Fact]
    public async Task TheLastAttempt_MarksTheDeliveryFailed()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.AnswerWith(503);
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Webhook(receiver.Url("/hook"), WebhookSecrets.Generate()));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        // As if the earlier attempts had failed and Hangfire were running the last one.
        await fixture.UpdateDeliveryAsync(delivery.Id, u => u
            .SetProperty(d => d.Attempts, DeliveryJob.MaxAttempts - 1)
            .SetProperty(d => d.Status, DeliveryStatus.Retrying));

        await Assert.ThrowsAsync<DeliveryFailedException>(() => fixture.RunJobAsync(delivery.Id));

        var failed = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Failed, failed.Status);
        Assert.Equal(DeliveryJob.MaxAttempts, failed.Attempts);
        Assert.NotNull(failed.CompletedAt);
    }

    [Fact]
    public async Task RunningADeliveredJobAgain_SendsNothing()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Webhook(receiver.Url("/hook"), WebhookSecrets.Generate()));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await fixture.RunJobAsync(delivery.Id);
        await fixture.RunJobAsync(delivery.Id);

        Assert.Single(receiver.Requests);
        Assert.Single(await fixture.AttemptsAsync(delivery.Id));
    }

    [Theory]
    [InlineData(WebPageMethod.Get)]
    [InlineData(WebPageMethod.PostForm)]
    public async Task CallWebPage_SendsTheEventsFields_AsQueryOrForm(WebPageMethod method)
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        var page = RuleAction.Create(ActionKind.CallWebPage);
        page.Url = receiver.Url("/tasks/new?source=imap&mailbox={MailboxName}");
        page.Method = method;
        await fixture.SaveRuleAsync(user, page);
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await fixture.RunJobAsync(delivery.Id);

        var request = await receiver.WaitForRequestAsync();
        var fields = method == WebPageMethod.Get ? request.Query.TrimStart('?') : request.Body;
        var values = fields.Split('&').Select(p => p.Split('=', 2)).ToLookup(p => p[0], p => Uri.UnescapeDataString(p[1].Replace('+', ' ')));
        Assert.Equal(method == WebPageMethod.Get ? "GET" : "POST", request.Method);
        Assert.Equal("/tasks/new", request.Path);
        Assert.Contains("source=imap&mailbox=Support", request.Query, StringComparison.Ordinal);
        Assert.Equal("IMAP Login Failed", values["EventType"].Single());
        Assert.Equal(user, values["LoginUsername"].Single());
        Assert.Equal("993", values["ServerPort"].Single());
        Assert.Equal("true", values["Ssl"].Single());
        Assert.Equal("0", values["SuppressedCount"].Single());
        Assert.Equal(DeliveryStatus.Delivered, (await fixture.DeliveryAsync(delivery.Id)).Status);
    }

    [Fact]
    public async Task MaxFrequency_DeliversOnce_CountsTheRest_AndTheNextDeliverySaysHowMany()
    {
        var user = ActionFixture.NewUser();
        var fileName = $"throttled-{Guid.NewGuid():N}.log";
        var rule = await fixture.SaveRuleAsync(user, LogFile(fileName, TimeSpan.FromMinutes(15), "{EventType} {LoginUsername} ({SuppressedCount} suppressed)"));
        var actionId = rule.Actions.Single().Id;

        var first = await fixture.RaiseAsync(user);
        var second = await fixture.RaiseAsync(user);
        var third = await fixture.RaiseAsync(user);

        var delivered = Assert.Single(await fixture.DeliveriesAsync(first.Id));
        Assert.Equal(DeliveryStatus.Pending, delivered.Status);
        Assert.Equal(DeliveryStatus.Suppressed, Assert.Single(await fixture.DeliveriesAsync(second.Id)).Status);
        Assert.Equal(DeliveryStatus.Suppressed, Assert.Single(await fixture.DeliveriesAsync(third.Id)).Status);
        Assert.Null((await fixture.DeliveriesAsync(third.Id)).Single().JobId);
        await fixture.RunJobAsync(delivered.Id);

        await using (var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            // The window is over.
            await db.ActionThrottles.Where(t => t.ActionId == actionId)
                .ExecuteUpdateAsync(u => u.SetProperty(t => t.WindowStartedAt, DateTimeOffset.UtcNow.AddMinutes(-16)));
        }

        var fourth = await fixture.RaiseAsync(user);
        var next = Assert.Single(await fixture.DeliveriesAsync(fourth.Id));
        Assert.Equal(2, next.SuppressedCount);
        await fixture.RunJobAsync(next.Id);

        var lines = await File.ReadAllLinesAsync(Path.Combine(fixture.LogDirectory, fileName));
        Assert.Equal([$"IMAP Login Failed {user} (0 suppressed)", $"IMAP Login Failed {user} (2 suppressed)"], lines);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task MaxFrequency_HoldsAcrossTwoInstancesFiringAtOnce(int throttledActions)
    {
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Enumerable.Range(0, throttledActions).Select(_ => LogFile($"storm-{Guid.NewGuid():N}.log", TimeSpan.FromHours(1))).ToArray());
        await using var other = new ImapEventsApp(fixture.ConnectionString, fixture.Settings);
        var instances = new[] { fixture.App, other }
            .Select(app => (Dispatcher: app.Services.GetRequiredService<IImapEventDispatcher>(), Db: app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>()))
            .ToArray();

        var events = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => fixture.RaiseAsync(user, instances[i % 2].Dispatcher, instances[i % 2].Db)));

        var deliveries = (await Task.WhenAll(events.Select(e => fixture.DeliveriesAsync(e.Id)))).SelectMany(d => d).ToList();
        Assert.Equal(20 * throttledActions, deliveries.Count);
        Assert.All(deliveries.GroupBy(d => d.ActionId), perAction =>
        {
            Assert.Single(perAction, d => d.Status == DeliveryStatus.Pending);
            Assert.Equal(19, perAction.Count(d => d.Status == DeliveryStatus.Suppressed));
        });
        Assert.Equal(throttledActions, deliveries.Select(d => d.ActionId).Distinct().Count());
    }

    [Fact]
    public async Task ASnoozedRule_IsRecorded_ButFiresNothing()
    {
        var user = ActionFixture.NewUser();
        var rule = await fixture.SaveRuleAsync(user, LogFile("snoozed.log", null));
        var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);
        Assert.True((await fixture.Service<RuleAdministration>().SnoozeAsync(admin.Id, rule.Id, DateTimeOffset.UtcNow.AddHours(1), default)).Succeeded);

        var imapEvent = await fixture.RaiseAsync(user);

        Assert.Empty(await fixture.DeliveriesAsync(imapEvent.Id));
        var row = (await fixture.Service<EventQueries>().ListWithRulesAsync(new EventQuery(), default)).Items.Single(r => r.Event.Id == imapEvent.Id);
        Assert.True(Assert.Single(row.MatchedRules).Snoozed);
        Assert.Empty(row.Deliveries);
    }

    [Fact]
    public async Task TheEventsList_ShowsTheActionsAnEventCaused()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Webhook(receiver.Url("/hook"), WebhookSecrets.Generate()), LogFile($"shown-{Guid.NewGuid():N}.log", null));
        var imapEvent = await fixture.RaiseAsync(user);
        foreach (var delivery in await fixture.DeliveriesAsync(imapEvent.Id))
        {
            await fixture.RunJobAsync(delivery.Id);
        }

        var row = (await fixture.Service<EventQueries>().ListWithRulesAsync(new EventQuery(), default)).Items.Single(r => r.Event.Id == imapEvent.Id);

        Assert.Equal([ActionKind.CallWebhook, ActionKind.LogToFile], row.Deliveries.Select(d => d.Kind));
        Assert.All(row.Deliveries, d => Assert.Equal(DeliveryStatus.Delivered, d.Status));
        Assert.Equal(200, row.Deliveries[0].LastResponseCode);
        Assert.All(row.Deliveries, d => Assert.NotNull(d.JobId));

        var delivered = await fixture.Service<EventQueries>().ListWithRulesAsync(new EventQuery(Delivery: DeliveryStatus.Delivered), default);
        var failed = await fixture.Service<EventQueries>().ListWithRulesAsync(new EventQuery(Delivery: DeliveryStatus.Failed), default);
        Assert.Contains(delivered.Items, r => r.Event.Id == imapEvent.Id);
        Assert.DoesNotContain(failed.Items, r => r.Event.Id == imapEvent.Id);
    }

    [Fact]
    public async Task ALogFileThatIsASymlink_IsRefused_AndNothingIsWrittenOutsideTheDirectory()
    {
        var user = ActionFixture.NewUser();
        var outside = Path.Combine(Path.GetTempPath(), $"outside-{Guid.NewGuid():N}.log");
        var link = $"link-{Guid.NewGuid():N}.log";
        Directory.CreateDirectory(fixture.LogDirectory);
        File.CreateSymbolicLink(Path.Combine(fixture.LogDirectory, link), outside);
        await fixture.SaveRuleAsync(user, LogFile(link, null));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await fixture.RunJobAsync(delivery.Id);

        var failed = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Failed, failed.Status);
        Assert.Contains("is a symbolic link", failed.LastError, StringComparison.Ordinal);
        Assert.False(File.Exists(outside));
    }

    [Fact]
    public async Task WebhookSecrets_AreStoredOnlyAsCiphertext()
    {
        var user = ActionFixture.NewUser();
        var secret = WebhookSecrets.Generate();
        var rule = await fixture.SaveRuleAsync(user, Webhook("https://hooks.example.com/imap", secret));

        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var stored = await db.Database.SqlQuery<string>($"SELECT \"Actions\"::text AS \"Value\" FROM event_rules WHERE \"Id\" = {rule.Id}").SingleAsync();
        Assert.DoesNotContain(secret["whsec_".Length..], stored, StringComparison.Ordinal);
        Assert.DoesNotContain("newSecret", stored, StringComparison.Ordinal);
        Assert.Equal(secret, fixture.Service<WebhookSecrets>().TryUnprotect(rule.Actions.Single().ProtectedSecret!));
    }

    [Fact]
    public async Task EditingARule_KeepsTheSecretAndTheActionsThrottle_UnlessANewSecretIsTyped()
    {
        var user = ActionFixture.NewUser();
        var secret = WebhookSecrets.Generate();
        var rule = await fixture.SaveRuleAsync(user, Webhook("https://hooks.example.com/imap", secret));
        var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);
        var rules = fixture.Service<RuleAdministration>();
        var protector = fixture.Service<WebhookSecrets>();

        rule.Actions[0].Url = "https://hooks.example.com/v2";
        rule.Actions[0].ProtectedSecret = "forged";
        Assert.True((await rules.UpdateAsync(admin.Id, rule.Id, rule, rule.Version, default)).Succeeded);
        var edited = (await rules.GetAsync(rule.Id, default))!;
        Assert.Equal(rule.Actions[0].Id, edited.Actions[0].Id);
        Assert.Equal(secret, protector.TryUnprotect(edited.Actions[0].ProtectedSecret!));

        var replacement = WebhookSecrets.Generate();
        edited.Actions[0].NewSecret = replacement;
        Assert.True((await rules.UpdateAsync(admin.Id, rule.Id, edited, edited.Version, default)).Succeeded);
        Assert.Equal(replacement, protector.TryUnprotect((await rules.GetAsync(rule.Id, default))!.Actions[0].ProtectedSecret!));
    }

    [Fact]
    public async Task ADeliveryWhoseJobWasNeverQueued_IsQueuedByTheSweep()
    {
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, LogFile($"orphan-{Guid.NewGuid():N}.log", null));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        // As if the process had stopped between committing the delivery and queuing its job.
        await fixture.UpdateDeliveryAsync(delivery.Id, u => u
            .SetProperty(d => d.JobId, (string?)null)
            .SetProperty(d => d.EnqueuedAt, (DateTimeOffset?)null)
            .SetProperty(d => d.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(-5)));

        Assert.True(await fixture.Service<DeliveryQueue>().EnqueueOrphansAsync(default) >= 1);

        var queued = await fixture.DeliveryAsync(delivery.Id);
        Assert.NotNull(queued.JobId);
        Assert.NotNull(queued.EnqueuedAt);
    }

    [Fact]
    public async Task TheDashboardSummary_CountsDeliveriesByOutcome()
    {
        // Tests of one class run one after another, so nothing else fires after this moment.
        var since = DateTimeOffset.UtcNow;
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.AnswerWith(200, 500);
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Webhook(receiver.Url("/hook"), WebhookSecrets.Generate()), LogFile($"summary-{Guid.NewGuid():N}.log", TimeSpan.FromHours(1)));
        var first = await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id);
        var second = await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id);
        await fixture.RunJobAsync(first[0].Id);
        await fixture.RunJobAsync(first[1].Id);
        await Assert.ThrowsAsync<DeliveryFailedException>(() => fixture.RunJobAsync(second[0].Id));

        var summary = await fixture.Service<EventQueries>().DeliverySummaryAsync(since, default);

        Assert.Equal(new DeliverySummary(Delivered: 2, Failed: 0, InProgress: 1, Suppressed: 1), summary);
    }

    [Fact]
    public async Task AFailedDelivery_RetriedByHandFromTheJobDashboard_IsSentAgain()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Webhook(receiver.Url("/hook"), WebhookSecrets.Generate()));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        await fixture.UpdateDeliveryAsync(delivery.Id, u => u
            .SetProperty(d => d.Attempts, DeliveryJob.MaxAttempts)
            .SetProperty(d => d.Status, DeliveryStatus.Failed)
            .SetProperty(d => d.CompletedAt, DateTimeOffset.UtcNow));

        await fixture.RunJobAsync(delivery.Id);

        var delivered = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Delivered, delivered.Status);
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task ADeliveryWhoseJobWasDeletedInTheDashboard_EndsAsFailed_OthersAreLeftAlone()
    {
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, LogFile($"deleted-{Guid.NewGuid():N}.log", null));
        var deleted = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        var waiting = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        Assert.True(fixture.Service<IBackgroundJobClient>().Delete(deleted.JobId));
        await using (var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            var ids = new[] { deleted.Id, waiting.Id };
            await db.Deliveries.Where(d => ids.Contains(d.Id)).ExecuteUpdateAsync(u => u.SetProperty(d => d.CreatedAt, DateTimeOffset.UtcNow.AddHours(-2)));
        }

        Assert.True(await fixture.Service<DeliveryQueue>().ReconcileAsync(default) >= 1);

        var ended = await fixture.DeliveryAsync(deleted.Id);
        Assert.Equal(DeliveryStatus.Failed, ended.Status);
        Assert.Equal("Its job was deleted in the job dashboard.", ended.LastError);
        Assert.Equal(DeliveryStatus.Pending, (await fixture.DeliveryAsync(waiting.Id)).Status);
    }

    [Fact]
    public async Task ARedirectToAVeryLongAddress_IsRecordedAsARetriableFailure_NotAStuckDelivery()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.RedirectLocation = "https://sso.example.com/login?return=" + new string('x', 5000);
        receiver.AnswerWith(302);
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Webhook(receiver.Url("/hook"), WebhookSecrets.Generate()));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await Assert.ThrowsAsync<DeliveryFailedException>(() => fixture.RunJobAsync(delivery.Id));

        var retrying = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Retrying, retrying.Status);
        Assert.Equal(302, retrying.LastResponseCode);
        Assert.StartsWith("The receiver redirected (302) to https://sso.example.com/login", retrying.LastError, StringComparison.Ordinal);
        Assert.Equal(DeliveryJob.MaxErrorLength, retrying.LastError!.Length);
    }

    [Fact]
    public async Task ASecondJobForADeliveryBeingSent_ComesBackLater_InsteadOfSucceedingEmpty()
    {
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, LogFile($"busy-{Guid.NewGuid():N}.log", null));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        // Another worker claimed it a moment ago.
        await fixture.UpdateDeliveryAsync(delivery.Id, u => u
            .SetProperty(d => d.Status, DeliveryStatus.Sending)
            .SetProperty(d => d.AttemptStartedAt, DateTimeOffset.UtcNow));

        var busy = await Assert.ThrowsAsync<DeliveryFailedException>(() => fixture.RunJobAsync(delivery.Id));

        Assert.Contains("being sent by another worker", busy.Message, StringComparison.Ordinal);
        Assert.Empty(await fixture.AttemptsAsync(delivery.Id));
    }

    [Fact]
    public async Task ADeliveryLeftSendingByAKilledWorker_IsTakenOverWhenItsJobRunsAgain()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Webhook(receiver.Url("/hook"), WebhookSecrets.Generate()));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        // The worker claimed it and died before recording anything; Hangfire re-runs the job after its invisibility timeout.
        await fixture.UpdateDeliveryAsync(delivery.Id, u => u
            .SetProperty(d => d.Status, DeliveryStatus.Sending)
            .SetProperty(d => d.Attempts, 1)
            .SetProperty(d => d.AttemptStartedAt, DateTimeOffset.UtcNow - DeliveryJob.StaleClaim - TimeSpan.FromSeconds(1)));

        await fixture.RunJobAsync(delivery.Id);

        var delivered = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Delivered, delivered.Status);
        Assert.Equal(2, delivered.Attempts);
        // The receiver sees the same webhook-id it may have seen from the dead worker, so it can drop a duplicate.
        Assert.Equal(delivery.Id.ToString(), Assert.Single(receiver.Requests).Headers["webhook-id"]);
    }

    [Fact]
    public async Task RetryNow_QueuesAFailedDeliveryAgain_AndTheNewJobDeliversIt()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.AnswerWith(503);
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Webhook(receiver.Url("/hook"), WebhookSecrets.Generate()));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        var queue = fixture.Service<DeliveryQueue>();
        Assert.Equal("This delivery is pending; only failed or retrying ones can be retried.", await queue.RetryNowAsync(delivery.Id, default));
        await Assert.ThrowsAsync<DeliveryFailedException>(() => fixture.RunJobAsync(delivery.Id));

        Assert.Null(await queue.RetryNowAsync(delivery.Id, default));

        var requeued = await fixture.DeliveryAsync(delivery.Id);
        Assert.NotEqual(delivery.JobId, requeued.JobId);
        await fixture.RunJobAsync(delivery.Id);
        var delivered = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Delivered, delivered.Status);
        Assert.Equal(2, delivered.Attempts);
    }
}
