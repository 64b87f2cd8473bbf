using ImapEvents.Core.Checks;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using MailKit;
using MailKit.Search;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>
/// The real app process killed with SIGKILL (kill -9) in the middle of its work, then started again as a service
/// manager would: nothing it was doing is lost, done twice, or left saying it is still going on.
/// </summary>
public sealed class KillTests(ActionFixture actions, CheckFixture checks) : IClassFixture<ActionFixture>, IClassFixture<CheckFixture>
{
    private static readonly TimeSpan AfterRestart = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task KilledDuringADelivery_TheRestartedAppSendsItAgainWithTheSameWebhookId_AndNothingStaysSending()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.HoldRequests = true;
        var user = ActionFixture.NewUser();
        await actions.SaveRuleAsync(user, ActionFixture.Webhook(receiver.Url("/hook"), WebhookSecrets.Generate()));
        Delivery delivery;
        await using (var app = await AppProcess.StartAsync(actions.ConnectionString, Settings(actions.LogDirectory)))
        {
            delivery = Assert.Single(await actions.DeliveriesAsync((await actions.RaiseAsync(user)).Id));
            // The receiver has the request and has not answered: the app is in the middle of the attempt.
            await receiver.WaitForRequestAsync(timeoutSeconds: 60);
            await app.KillAsync();
        }

        // What kill -9 leaves behind.
        Assert.Equal(DeliveryStatus.Sending, (await actions.DeliveryAsync(delivery.Id)).Status);
        receiver.HoldRequests = false;

        await using (var restarted = await AppProcess.StartAsync(actions.ConnectionString, Settings(actions.LogDirectory)))
        {
            var delivered = await actions.WaitForDeliveryAsync(delivery.Id, DeliveryStatus.Delivered, (int)AfterRestart.TotalSeconds);

            Assert.Equal(2, delivered.Attempts);
            var attempts = await actions.AttemptsAsync(delivery.Id);
            Assert.Equal([(1, false, DeliveryQueue.ProcessEndedDuringAttempt), (2, true, null)], attempts.Select(a => (a.Number, a.Succeeded, a.Error)));
            // The receiver saw the interrupted attempt and the one that went through as the same delivery, so it can drop one.
            Assert.Equal(2, receiver.Requests.Count);
            Assert.All(receiver.Requests, request => Assert.Equal(delivery.Id.ToString(), request.Headers["webhook-id"]));
            await using var db = await actions.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
            Assert.False(await db.Deliveries.AnyAsync(d => d.Status == DeliveryStatus.Sending), "A delivery still says Sending:\n" + restarted.Output());
        }
    }

    [Fact]
    public async Task KilledDuringACheck_TheRestartedAppClosesItAsInterrupted_AndImportsEveryMessageExactlyOnce()
    {
        var (user, password) = await checks.Dovecot.CreateAccountAsync();
        string[] subjects = ["One", "Two", "Three", "Four", "Five", "Six"];
        await checks.Dovecot.AppendAsync(user, password, "INBOX", subjects.Select(subject => DovecotServer.Message(subject)).ToArray());
        // The check stops (until it is killed) where it has stored the third message and asks the server to mark it seen.
        await using var proxy = new HoldingProxy(checks.Dovecot.Host, checks.Dovecot.Port, "STORE", occurrence: 3);
        Guid mailboxId;
        await using (var app = await AppProcess.StartAsync(checks.ConnectionString, Settings()))
        {
            // Saving a new mailbox queues its first check, which the app process runs.
            mailboxId = await checks.CreateMailboxAsync(checks.Settings(user, password) with { ServerName = "127.0.0.1", ServerPort = proxy.Port });
            await proxy.Holding.WaitAsync(TimeSpan.FromSeconds(60));
            await app.KillAsync();
        }

        // What kill -9 leaves behind: three messages stored, the third not yet marked seen, and a check still "running".
        var stored = await checks.ImportedAsync(mailboxId);
        Assert.Equal(["One", "Two", "Three"], stored.Select(m => m.Subject));
        Assert.Equal([false, false, true], stored.Select(m => m.ServerChangePending));
        Assert.Null(Assert.Single(await ChecksAsync(mailboxId)).Outcome);

        await using (var restarted = await AppProcess.StartAsync(checks.ConnectionString, Settings()))
        {
            // Closed by the restarted app as it started.
            var interrupted = Assert.Single(await ChecksAsync(mailboxId), c => c.Outcome == CheckOutcome.Interrupted);
            Assert.Equal(InterruptedCheckSweep.ProcessEnded, interrupted.ErrorMessage);

            // Hangfire runs the killed check's job again on the restarted app: the next check.
            await Eventually.TrueAsync(async () => (await ChecksAsync(mailboxId)).Any(c => c.Outcome == CheckOutcome.Succeeded),
                "No check succeeded after the restart:\n" + restarted.Output(), AfterRestart);

            var imported = await checks.ImportedAsync(mailboxId);
            Assert.Equal(subjects, imported.Select(m => m.Subject));
            Assert.Equal(subjects.Length, imported.Select(m => m.Uid).Distinct().Count());
            Assert.All(imported, m => Assert.False(m.ServerChangePending));
            Assert.DoesNotContain(await ChecksAsync(mailboxId), c => c.Outcome is null);
            var row = Assert.Single((await checks.Service<MailboxAdministration>().ListAsync(new MailboxListQuery(user), CancellationToken.None)).Items);
            Assert.Equal(CheckOutcome.Succeeded, row.LastOutcome);
            Assert.Null(row.InterruptionToShow);
        }

        // On the server every message is still there, and every one is marked seen.
        using var client = await checks.Dovecot.ConnectAsync(user, password);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(subjects.Length, client.Inbox.Count);
        Assert.Empty(await client.Inbox.SearchAsync(SearchQuery.NotSeen));
    }

    private static Dictionary<string, string> Settings(string? logDirectory = null)
    {
        var settings = new Dictionary<string, string>
        {
            // How soon Hangfire runs a job again that the killed process had taken; the default, 5 minutes, only makes a test slow.
            ["Jobs__InvisibilityTimeout"] = "00:00:10",
            ["Jobs__CheckWorkers"] = "1",
            ["Jobs__ActionWorkers"] = "1",
            // A held step must not end by itself before the kill.
            ["Imap__StageTimeout"] = "00:02:00",
            ["Actions__HttpTimeout"] = "00:02:00",
        };
        if (logDirectory is not null)
        {
            settings["Actions__LogDirectory"] = logDirectory;
        }

        return settings;
    }

    private async Task<List<MailboxCheck>> ChecksAsync(Guid mailboxId)
    {
        await using var db = await checks.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.MailboxChecks.AsNoTracking().Where(c => c.MailboxId == mailboxId).OrderBy(c => c.StartedAt).ToListAsync();
    }
}
