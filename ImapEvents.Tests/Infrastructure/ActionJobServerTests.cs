using System.Globalization;
using Hangfire;
using Hangfire.Common;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using Microsoft.EntityFrameworkCore;
using ImapEvents.Tests.TestSupport;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>With Hangfire's servers running: an event's action is delivered by a worker, not by the test.</summary>
public sealed class ActionJobServerTests : IAsyncLifetime
{
    private readonly ActionFixture fixture = new(runJobServer: true);

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    [Fact]
    public async Task AnEventsWebhook_IsDeliveredByAHangfireWorker()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        var hook = ActionFixture.Webhook(receiver.Url("/hook"));
        await fixture.SaveRuleAsync(user, hook);

        var imapEvent = await fixture.RaiseAsync(user);

        var request = await receiver.WaitForRequestAsync(timeoutSeconds: 60);
        Assert.Equal("POST", request.Method);
        var delivery = await fixture.WaitForDeliveryAsync(Assert.Single(await fixture.DeliveriesAsync(imapEvent.Id)).Id, DeliveryStatus.Delivered);
        Assert.Equal(delivery.Id.ToString(), request.Headers["webhook-id"]);
        Assert.NotNull(delivery.JobId);
    }

    [Fact]
    public async Task SendTestEvent_DeliversEveryActionOfTheRuleNow_EvenInsideItsMaxFrequency()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        var hook = ActionFixture.Webhook(receiver.Url("/hook"));
        var log = RuleAction.Create(ActionKind.LogToFile);
        log.FileName = $"test-event-{Guid.NewGuid():N}.log";
        log.Message = "{MailboxName}: {Error}";
        var rule = await fixture.SaveRuleAsync(user, hook, log);
        // A real firing first, so the log action's 15-minute window is open.
        await fixture.RaiseAsync(user);
        var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);

        var sent = await fixture.Service<TestEventSender>().SendAsync(admin.Id, rule.Id, default);

        Assert.True(sent.Succeeded, sent.Error);
        var deliveries = await fixture.DeliveriesAsync(sent.EventId!.Value);
        Assert.Equal(2, deliveries.Count);
        foreach (var delivery in deliveries)
        {
            Assert.Equal(DeliveryStatus.Delivered, (await fixture.WaitForDeliveryAsync(delivery.Id, DeliveryStatus.Delivered)).Status);
        }
        var request = await receiver.WaitForRequestAsync(2);
        Assert.Contains(user, request.Body, StringComparison.Ordinal);
        var lines = await File.ReadAllLinesAsync(Path.Combine(fixture.LogDirectory, log.FileName));
        Assert.Contains($"Test event: Test event sent by {ImapEventsApp.AdminEmail} from rule \"{rule.Name}\".", lines);

        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var stored = await db.Events.AsNoTracking().SingleAsync(e => e.Id == sent.EventId);
        Assert.True(stored.IsTest);
        Assert.Equal(user, stored.LoginUsername);
        Assert.Equal(ImapEventType.LoginFailed, stored.Type);
        Assert.Equal([rule.Id], await db.RuleMatches.Where(m => m.EventId == stored.Id).Select(m => m.RuleId).ToListAsync());
        Assert.Equal(0, (await fixture.Service<RuleAdministration>().WouldHaveFiredAsync(new EventRule { EventType = ImapEventType.LoginFailed, LoginUsername = "test@example.com" }, default)).Matched);
    }

    [Fact]
    public async Task A429WithRetryAfterInSeconds_IsTriedAgainAtTheReceiversTime_AndThenDelivered()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.AnswerWith(429, "2");
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, ActionFixture.Webhook(receiver.Url("/hook")));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        var (scheduledAt, enqueueAt) = await NextAttemptScheduleAsync(delivery.Id);

        // Two seconds after the answer, not the back-off's 15: Hangfire holds the job until then.
        Assert.InRange((enqueueAt - scheduledAt).TotalSeconds, 1.5, 4);
        await fixture.WaitForDeliveryAsync(delivery.Id, DeliveryStatus.Delivered, timeoutSeconds: 60);
        var attempts = await fixture.AttemptsAsync(delivery.Id);
        Assert.Equal([429, 200], attempts.Select(a => a.ResponseCode));
        Assert.True(attempts[1].StartedAt - attempts[0].FinishedAt >= TimeSpan.FromSeconds(1.5),
            $"The second attempt started {(attempts[1].StartedAt - attempts[0].FinishedAt).TotalSeconds:0.0} s after the 429 that asked for 2 s.");
    }

    [Fact]
    public async Task A503WithRetryAfterAsAnHttpDate_IsTriedAgainAtThatTime()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var retryAt = DateTimeOffset.UtcNow.AddSeconds(6);
        receiver.AnswerWith(503, retryAt.ToString("r", CultureInfo.InvariantCulture));
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, ActionFixture.Webhook(receiver.Url("/hook")));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        var (_, enqueueAt) = await NextAttemptScheduleAsync(delivery.Id);

        // An HTTP date has whole seconds.
        Assert.InRange((enqueueAt - retryAt.UtcDateTime).TotalSeconds, -1.5, 1.5);
        await fixture.WaitForDeliveryAsync(delivery.Id, DeliveryStatus.Delivered, timeoutSeconds: 60);
        Assert.Equal([503, 200], (await fixture.AttemptsAsync(delivery.Id)).Select(a => a.ResponseCode));
    }

    /// <summary>When Hangfire put the delivery's job off after its failed first attempt, and until when.</summary>
    private async Task<(DateTime ScheduledAt, DateTime EnqueueAt)> NextAttemptScheduleAsync(Guid deliveryId)
    {
        var jobId = (await fixture.DeliveryAsync(deliveryId)).JobId;
        using var connection = fixture.Service<JobStorage>().GetConnection();
        Hangfire.Storage.StateData? state = null;
        await Eventually.TrueAsync(
            () => (state = connection.GetStateData(jobId)) is { Name: "Scheduled" },
            $"The delivery's job {jobId} was not scheduled again after its first attempt (it is {state?.Name}).",
            TimeSpan.FromSeconds(30));
        return (JobHelper.DeserializeDateTime(state!.Data["ScheduledAt"]), JobHelper.DeserializeDateTime(state.Data["EnqueueAt"]));
    }
}
