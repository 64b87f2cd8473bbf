using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using ImapEvents.Tests.TestSupport;

namespace ImapEvents.Tests.Infrastructure;

public sealed class CheckConcurrencyAndEventsTests(CheckFixture fixture) : IClassFixture<CheckFixture>
{
    [Fact]
    public async Task ChecksOfOneMailbox_NeverOverlap()
    {
        await using var silent = new SilentListener();
        var id = await fixture.CreateMailboxAsync(fixture.Settings("overlap", "pw") with { ServerName = "127.0.0.1", ServerPort = silent.Port, Security = ConnectionSecurity.None });

        // The first check hangs on the silent server until its 3-second step timeout; the second starts meanwhile.
        var first = fixture.CheckAsync(id);
        await WhenItHoldsTheLockAsync(id, first);
        var second = await fixture.CheckAsync(id);
        var firstRun = await first;

        Assert.Equal(CheckRunStatus.AlreadyRunning, second.Status);
        Assert.Equal(CheckRunStatus.Completed, firstRun.Status);
        Assert.Equal(ImapEventType.ConnectionFailed, firstRun.Event?.Type);
        Assert.Equal(CheckRunStatus.Completed, (await fixture.CheckAsync(id)).Status);
    }

    [Fact]
    public async Task CheckNow_MeetingARunningCheck_WaitsForIt_AndThenRuns()
    {
        await using var silent = new SilentListener();
        var id = await fixture.CreateMailboxAsync(fixture.Settings("busy", "pw") with { ServerName = "127.0.0.1", ServerPort = silent.Port, Security = ConnectionSecurity.None });
        var job = fixture.Service<MailboxCheckJob>();

        var first = fixture.CheckAsync(id);
        await WhenItHoldsTheLockAsync(id, first);
        // Check now (or the check on save) asks for a check with the settings as they are now; the running one may have
        // read older ones. It waits for that one (3 s on the silent server), not failing and losing the click.
        await job.RunNowAsync(id, default).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(first.IsCompleted);

        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var checks = await db.MailboxChecks.AsNoTracking().Where(c => c.MailboxId == id).OrderBy(c => c.StartedAt).ToListAsync();
        Assert.Equal(2, checks.Count);
        Assert.True(checks[1].Manual);
        Assert.True(checks[1].StartedAt >= checks[0].FinishedAt);
    }

    [Fact]
    public async Task TheEventList_FiltersByTypeMailboxAndTime_NewestFirst()
    {
        var wrongPassword = await fixture.CreateMailboxAsync(fixture.Settings((await fixture.Dovecot.CreateAccountAsync()).Username, "wrong"));
        var missingFolder = await fixture.CreateMailboxAsync(fixture.Settings("nobody", "pw") with { ServerPort = LoopbackTcpServer.ClosedPort() });
        // Not a second earlier: the class's other tests raise events of their own until just before this one starts.
        var before = DateTimeOffset.UtcNow;
        await fixture.CheckAsync(wrongPassword);
        await fixture.CheckAsync(missingFolder);
        await fixture.CheckAsync(wrongPassword);
        var queries = fixture.Service<EventQueries>();

        var logins = await queries.ListAsync(new EventQuery(Type: ImapEventType.LoginFailed, From: before), default);
        var ofMailbox = await queries.ListAsync(new EventQuery(MailboxId: missingFolder), default);
        var future = await queries.ListAsync(new EventQuery(From: DateTimeOffset.UtcNow.AddMinutes(1)), default);
        var paged = await queries.ListAsync(new EventQuery(From: before, Page: 1, PageSize: 2), default);

        Assert.Equal(2, logins.TotalCount);
        Assert.All(logins.Items, e => Assert.Equal(wrongPassword, e.MailboxId));
        Assert.True(logins.Items[0].OccurredAt >= logins.Items[1].OccurredAt);
        Assert.Equal(ImapEventType.ConnectionFailed, Assert.Single(ofMailbox.Items).Type);
        Assert.Equal(CheckErrorKind.ConnectionRefused, ofMailbox.Items[0].ErrorKind);
        Assert.Equal(0, future.TotalCount);
        Assert.True(paged.TotalCount >= 3);
        Assert.Single(paged.Items);
    }

    /// <summary>Returns once the check has recorded its start, which it does only while holding the mailbox's lock.</summary>
    private async Task WhenItHoldsTheLockAsync(Guid id, Task<CheckRun> check)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !check.IsCompleted)
        {
            await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
            if (await db.MailboxChecks.AnyAsync(c => c.MailboxId == id && c.FinishedAt == null))
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new InvalidOperationException("The first check never started.");
    }
}
