using Hangfire;
using Hangfire.Storage;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>
/// IMAP Mailbox Stale: the sweep raises it once for a mailbox with no completed check for 3 of its intervals, never twice,
/// not even from two sweeps at once, and again only after a check completed and the mailbox went stale once more.
/// Mailboxes here are checked every hour (the fixture's setting), so they are stale after 3 hours; the clock is the test's.
/// </summary>
public sealed class StaleMailboxTests(ClockedCheckFixture fixture) : IClassFixture<ClockedCheckFixture>
{
    private static readonly TimeSpan ThreeIntervals = TimeSpan.FromHours(3);

    [Fact]
    public async Task AMailboxWithNoCheckFor3Intervals_RaisesOneMailboxStaleEvent_AndTheNextSweepNone()
    {
        var (mailboxId, user) = await CheckedMailboxAsync();
        var lastCheck = fixture.Clock.GetUtcNow();

        fixture.Clock.Advance(ThreeIntervals - TimeSpan.FromMinutes(1));
        await SweepAsync();
        Assert.Empty(await StaleEventsAsync(mailboxId));

        fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        await SweepAsync();
        await SweepAsync();

        var stale = Assert.Single(await StaleEventsAsync(mailboxId));
        Assert.Equal(fixture.Clock.GetUtcNow(), stale.OccurredAt);
        Assert.Equal(
            $"No check of this mailbox completed since {lastCheck:yyyy-MM-dd HH:mm} UTC, 3 h 1 min ago, though it is due every 1 h; " +
            "its scheduler or worker may have stopped. Until a check completes, no failure of this mailbox can be reported.",
            stale.ErrorMessage);
        Assert.Equal($"Mailbox of {user}", stale.MailboxName);
        Assert.Equal(fixture.Dovecot.Host, stale.ServerName);
        Assert.Equal(fixture.Dovecot.Port, stale.ServerPort);
        Assert.Equal(user, stale.LoginUsername);
        Assert.Null(stale.CheckId);
        Assert.NotNull(stale.DispatchedAt);
        Assert.Equal(fixture.Clock.GetUtcNow(), (await StatusAsync(mailboxId)).StaleSince);
    }

    [Fact]
    public async Task SweepsRunningAtOnce_RaiseEachStaleMailboxOnce()
    {
        var checkedBefore = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            checkedBefore.Add((await CheckedMailboxAsync()).MailboxId);
        }

        fixture.Clock.Advance(ThreeIntervals + TimeSpan.FromMinutes(1));
        await SweepAtOnceAsync(8);

        foreach (var mailboxId in checkedBefore)
        {
            Assert.Single(await StaleEventsAsync(mailboxId));
        }
    }

    [Fact]
    public async Task SweepsRunningAtOnce_RaiseEachNeverCheckedMailboxOnce_CountingFromItsCreation()
    {
        var createdAt = fixture.Clock.GetUtcNow();
        var neverChecked = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            neverChecked.Add(await fixture.CreateMailboxAsync(fixture.Settings($"never{i}", "irrelevant")));
        }

        fixture.Clock.Advance(ThreeIntervals + TimeSpan.FromMinutes(1));
        await SweepAtOnceAsync(8);

        foreach (var mailboxId in neverChecked)
        {
            var stale = Assert.Single(await StaleEventsAsync(mailboxId));
            Assert.StartsWith($"No check of this mailbox completed since it was saved on {createdAt:yyyy-MM-dd HH:mm} UTC, 3 h 1 min ago", stale.ErrorMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ACompletedCheck_EndsTheStaleness_SoTheNextOneIsRaisedAgain()
    {
        var (mailboxId, _) = await CheckedMailboxAsync();
        fixture.Clock.Advance(ThreeIntervals + TimeSpan.FromMinutes(1));
        await SweepAsync();
        Assert.Single(await StaleEventsAsync(mailboxId));

        var check = await fixture.CheckAsync(mailboxId);
        Assert.True(check.Result!.Succeeded, check.Result.Failure?.Message);
        Assert.Null((await StatusAsync(mailboxId)).StaleSince);
        await SweepAsync();
        Assert.Single(await StaleEventsAsync(mailboxId));

        fixture.Clock.Advance(ThreeIntervals + TimeSpan.FromMinutes(1));
        await SweepAsync();
        await SweepAsync();

        Assert.Equal(2, (await StaleEventsAsync(mailboxId)).Count);
    }

    [Fact]
    public async Task AFailedCheck_CountsAsCompleted()
    {
        var (user, _) = await fixture.Dovecot.CreateAccountAsync();
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, "not-the-password"));
        fixture.Clock.Advance(ThreeIntervals + TimeSpan.FromMinutes(1));
        await SweepAsync();
        Assert.Single(await StaleEventsAsync(mailboxId));

        // Checks are running and reporting; the failure has its own event. That is not a stale mailbox.
        var check = await fixture.CheckAsync(mailboxId);
        Assert.Equal(ImapEventType.LoginFailed, check.Event?.Type);
        fixture.Clock.Advance(ThreeIntervals - TimeSpan.FromMinutes(1));
        await SweepAsync();

        Assert.Single(await StaleEventsAsync(mailboxId));
    }

    [Fact]
    public async Task ADisabledMailbox_IsNeverStale_AndOnceEnabledCountsFromThen()
    {
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings("disabled", "irrelevant") with { Enabled = false });
        fixture.Clock.Advance(ThreeIntervals * 2);
        await SweepAsync();
        Assert.Empty(await StaleEventsAsync(mailboxId));

        Assert.True(await fixture.Service<MailboxAdministration>().SetEnabledAsync(mailboxId, true, CancellationToken.None));
        var enabledAt = fixture.Clock.GetUtcNow();
        await SweepAsync();
        Assert.Empty(await StaleEventsAsync(mailboxId));

        fixture.Clock.Advance(ThreeIntervals + TimeSpan.FromMinutes(1));
        await SweepAsync();
        var stale = Assert.Single(await StaleEventsAsync(mailboxId));
        Assert.StartsWith($"No check of this mailbox completed since it was saved on {enabledAt:yyyy-MM-dd HH:mm} UTC, 3 h 1 min ago", stale.ErrorMessage, StringComparison.Ordinal);

        // Disabled while stale: stays quiet, whatever the time.
        Assert.True(await fixture.Service<MailboxAdministration>().SetEnabledAsync(mailboxId, false, CancellationToken.None));
        fixture.Clock.Advance(ThreeIntervals * 2);
        await SweepAsync();
        Assert.Single(await StaleEventsAsync(mailboxId));
    }

    [Fact]
    public async Task AMailboxBeingCheckedNow_IsNotStale_UntilItsCheckRunsLongerThanAnyCheckCan()
    {
        var (mailboxId, _) = await CheckedMailboxAsync();
        fixture.Clock.Advance(ThreeIntervals + TimeSpan.FromMinutes(1));
        // A check that started and has not finished: a long import, say.
        await fixture.Service<CheckRecorder>().StartAsync(mailboxId, manual: false, CancellationToken.None);

        await SweepAsync();
        Assert.Empty(await StaleEventsAsync(mailboxId));

        fixture.Clock.Advance(fixture.Service<Microsoft.Extensions.Options.IOptions<ImapCheckOptions>>().Value.LongestCheck + TimeSpan.FromMinutes(1));
        await SweepAsync();
        Assert.Single(await StaleEventsAsync(mailboxId));
    }

    [Fact]
    public async Task AFirstCheck_FinishingWhileASweepCreatesTheMailboxsStatus_WaitsForItAndIsRecorded()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password));
        // What a sweep does for a mailbox never checked, held open: the status row inserted, not yet committed.
        await using var sweep = new NpgsqlConnection(fixture.ConnectionString);
        await sweep.OpenAsync();
        await using var transaction = await sweep.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO mailbox_status ("MailboxId", "ConsecutiveFailures", "LastErrorKind", "MessagesImported", "StaleSince")
            VALUES ($1, 0, 'None', 0, now())
            """, sweep, transaction))
        {
            insert.Parameters.AddWithValue(mailboxId);
            await insert.ExecuteNonQueryAsync();
        }

        var check = fixture.CheckAsync(mailboxId);
        await Eventually.TrueAsync(() => AnyoneWaitsForALockAsync(), "The check never reached the status row the sweep holds.", TimeSpan.FromSeconds(30));
        await transaction.CommitAsync();
        var run = await check;

        Assert.True(run.Result!.Succeeded, run.Result.Failure?.Message);
        var status = await StatusAsync(mailboxId);
        Assert.Equal(CheckOutcome.Succeeded, status.LastOutcome);
        Assert.Null(status.StaleSince);
    }

    [Fact]
    public void TheSweep_IsScheduledEveryMinute()
    {
        using var connection = fixture.Service<JobStorage>().GetConnection();
        var job = Assert.Single(connection.GetRecurringJobs(), j => j.Id == StaleMailboxSweep.RecurringJobId);
        Assert.Equal(Cron.Minutely(), job.Cron);
    }

    /// <summary>Sweeps started together, each on a thread and a database connection of its own, as on several instances.</summary>
    private async Task SweepAtOnceAsync(int sweeps)
    {
        using var start = new ManualResetEventSlim();
        var running = Enumerable.Range(0, sweeps).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await fixture.Service<StaleMailboxSweep>().RunAsync(CancellationToken.None);
        })).ToList();
        start.Set();
        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(60));
    }

    private async Task<(Guid MailboxId, string Username)> CheckedMailboxAsync()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password));
        var check = await fixture.CheckAsync(mailboxId);
        Assert.True(check.Result!.Succeeded, check.Result.Failure?.Message);
        return (mailboxId, user);
    }

    /// <summary>Other tests' mailboxes in this database may go stale as the clock moves; each test counts only its own.</summary>
    private Task<int> SweepAsync() => fixture.Service<StaleMailboxSweep>().RunAsync(CancellationToken.None);

    private async Task<List<ImapEvent>> StaleEventsAsync(Guid mailboxId)
    {
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Events.AsNoTracking()
            .Where(e => e.MailboxId == mailboxId && e.Type == ImapEventType.MailboxStale)
            .OrderBy(e => e.OccurredAt)
            .ToListAsync();
    }

    private async Task<bool> AnyoneWaitsForALockAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", connection);
        return (long)(await query.ExecuteScalarAsync())! > 0;
    }

    private async Task<MailboxStatus> StatusAsync(Guid mailboxId)
    {
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.MailboxStatuses.AsNoTracking().SingleAsync(s => s.MailboxId == mailboxId);
    }
}
