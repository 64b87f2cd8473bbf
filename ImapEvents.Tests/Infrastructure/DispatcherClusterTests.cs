using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>
/// Two worker processes, started from the built app, check the same mailboxes on one database: each mailbox once per
/// interval in total, the work shared; when one is killed, the other checks everything within an interval.
/// </summary>
public sealed class DispatcherClusterTests(CheckFixture fixture) : IClassFixture<CheckFixture>
{
    private const int Mailboxes = 20;

    [Fact]
    public async Task TwoWorkers_ShareTheChecks_EachMailboxOncePerInterval_AndTheSurvivorTakesOverAKilledOne()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < Mailboxes; i++)
        {
            ids.Add(await fixture.CreateMailboxAsync(fixture.Settings(user, password) with { PollIntervalMinutes = 1 }));
        }

        var settings = new Dictionary<string, string>
        {
            ["App__WorkerOnly"] = "true",
            // A claim of the killed worker returns within 10 s instead of 30.
            ["Checks__Lease"] = "00:00:10",
            ["Imap__StageTimeout"] = "00:00:05",
        };
        var starting = new[] { AppProcess.StartAsync(fixture.ConnectionString, settings), AppProcess.StartAsync(fixture.ConnectionString, settings) };
        await using var first = await starting[0];
        await using var second = await starting[1];
        var runners = new[] { Runner(first), Runner(second) };

        // Every mailbox checked, and each worker did some of it (the dispatcher runs go to whichever is free).
        var checks = await WaitForAsync(
            all => ids.All(id => all.Any(c => c.MailboxId == id)) && runners.All(runner => all.Any(c => c.RunBy == runner)),
            TimeSpan.FromMinutes(3), "both workers to share the first checks of every mailbox", first, second);
        Assert.All(checks, check => Assert.Contains(check.RunBy, runners));

        await first.KillAsync();
        var killedAt = DateTimeOffset.UtcNow;

        // Within an interval (and the killed worker's claims running out), the survivor has checked every mailbox.
        checks = await WaitForAsync(
            all => ids.All(id => all.Any(c => c.MailboxId == id && c.StartedAt > killedAt && c.Outcome is not null)),
            TimeSpan.FromSeconds(60 + 10 + 30), "the surviving worker to check every mailbox after the other was killed", second);
        Assert.All(checks.Where(c => c.StartedAt > killedAt), check => Assert.Equal(Runner(second), check.RunBy));

        // Never two checks for one interval of one mailbox, and each one a whole interval after the one before.
        Assert.All(checks.GroupBy(c => c.MailboxId), mailbox =>
        {
            var due = mailbox.Select(c => c.DueAt!.Value).Order().ToList();
            Assert.Equal(due.Count, due.Distinct().Count());
            Assert.All(due.Zip(due.Skip(1)), pair => Assert.Equal(0, (pair.Second - pair.First).Ticks % TimeSpan.FromMinutes(1).Ticks));
        });
        // Each one finished with an outcome (a busy Dovecot may refuse a login now and then; that is not what this is about).
        Assert.All(checks, check => Assert.NotNull(check.Outcome));
    }

    private static string Runner(AppProcess app) => $"{Environment.MachineName}:{app.Id}";

    private async Task<List<MailboxCheck>> WaitForAsync(Func<List<MailboxCheck>, bool> done, TimeSpan timeout, string what, params AppProcess[] apps)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
            var checks = await db.MailboxChecks.AsNoTracking().Where(c => !c.Manual && c.FinishedAt != null).ToListAsync();
            if (done(checks))
            {
                return checks;
            }

            Assert.True(DateTime.UtcNow < deadline,
                $"Waited {timeout.TotalSeconds} s for {what}; {checks.Count} checks by {string.Join(", ", checks.GroupBy(c => c.RunBy).Select(g => $"{g.Key}: {g.Count()}"))}.\n"
                + string.Join("\n---\n", apps.Select(app => app.Output())));
            // A short poll (a query of this test's own database), not a wait for the work: the deadline above bounds it.
            await Task.Delay(200);
        }
    }
}
