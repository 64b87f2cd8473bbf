using Hangfire;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Benchmarks;

/// <summary>
/// An event storm through the real dispatcher (rules, max frequency, deliveries, Hangfire jobs in
/// PostgreSQL): what each event costs, and how many jobs it leaves in the queue. Prints; asserts nothing.
/// Run it with scripts/bench.sh storm, which starts PostgreSQL.
/// </summary>
internal static class EventStormHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var events = Harness.Option(args, "--events", 2000);
        var parallel = Harness.Option(args, "--parallel", 8);
        var admin = Environment.GetEnvironmentVariable("IMAPEVENTS_TEST_POSTGRES");
        if (admin is null)
        {
            await Console.Error.WriteLineAsync("Run this through scripts/bench.sh storm: it starts PostgreSQL and sets IMAPEVENTS_TEST_POSTGRES.");
            return 2;
        }

        await using var harness = await Harness.StartAsync(admin, Microsoft.Extensions.Logging.LogLevel.Error);
        var services = harness.Services;
        var rules = services.GetRequiredService<RuleAdministration>();
        var dispatcher = services.GetRequiredService<IImapEventDispatcher>();
        var dbFactory = services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        var monitoring = services.GetRequiredService<JobStorage>().GetMonitoringApi();
        Console.WriteLine($"{events} Login Failed events per run, {parallel} dispatched at a time");

        // Every run uses a server of its own, so each matches only its own rule.
        async Task RunAsync(string label, string server, params RuleAction[] actions)
        {
            var rule = new EventRule { Name = label, EventType = ImapEventType.LoginFailed, ServerName = server };
            rule.Actions.AddRange(actions);
            var saved = await rules.CreateAsync("benchmark", rule, CancellationToken.None);
            if (!saved.Succeeded)
            {
                throw new InvalidOperationException(string.Join("; ", saved.Errors.Values));
            }

            var storm = Enumerable.Range(0, events).Select(i => new ImapEvent
            {
                Id = Guid.NewGuid(),
                Type = ImapEventType.LoginFailed,
                OccurredAt = DateTimeOffset.UtcNow,
                MailboxName = $"Mailbox {i % 50}",
                ServerName = server,
                ServerPort = 993,
                LoginUsername = $"user{i % 50}@example.com",
                Ssl = true,
                Stage = CheckStage.Authenticate,
                ErrorKind = CheckErrorKind.CredentialsRejected,
                ErrorMessage = "Authentication failed.",
            }).ToList();
            await using (var db = await dbFactory.CreateDbContextAsync())
            {
                db.Events.AddRange(storm);
                await db.SaveChangesAsync();
            }

            var queuedBefore = monitoring.EnqueuedCount(JobQueues.Actions);
            await Harness.MeasureAsync(label, "event", storm, parallel, async (imapEvent, token) =>
            {
                await dispatcher.DispatchAsync(imapEvent, token);
                return true;
            });

            await using (var db = await dbFactory.CreateDbContextAsync())
            {
                var ids = storm.Select(e => e.Id).ToList();
                var byStatus = await db.Deliveries.Where(d => ids.Contains(d.EventId)).GroupBy(d => d.Status)
                    .Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
                Console.WriteLine($"{"",-40} deliveries: {string.Join(", ", byStatus.Select(s => $"{s.Count} {s.Key}"))}; " +
                    $"jobs queued: {monitoring.EnqueuedCount(JobQueues.Actions) - queuedBefore}");
            }
        }

        var log = RuleAction.Create(ActionKind.LogToFile);
        log.FileName = "storm.log";
        var email = RuleAction.Create(ActionKind.SendEmail);
        email.Recipients = "oncall@example.com";
        await RunAsync("throttled (Log to File + Send Email)", "imap.throttled.example.com", log, email);

        var hook = RuleAction.Create(ActionKind.CallWebhook);
        hook.Url = "https://hooks.example.com/imap";
        hook.NewSecret = WebhookSecrets.Generate();
        await RunAsync("every firing (Call Webhook)", "imap.every.example.com", hook);
        return 0;
    }
}
