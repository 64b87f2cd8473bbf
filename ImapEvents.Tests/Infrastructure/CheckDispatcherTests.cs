using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Scheduling;
using ImapEvents.Tests.TestSupport;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using System.Text;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>Scheduled checks as the dispatchers run them: claimed when due, checked concurrently, written together.</summary>
public sealed class CheckDispatcherTests(CheckDispatcherTests.DispatchFixture fixture) : IClassFixture<CheckDispatcherTests.DispatchFixture>
{
    /// <summary>
    /// Dispatcher runs of a few seconds (not a minute and more), four checks at a time and three per server, so claims
    /// interleave.
    /// </summary>
    public sealed class DispatchFixture : CheckFixture
    {
        protected override void ConfigureTestServices(IServiceCollection services) =>
            services.Configure<CheckDispatchOptions>(options =>
            {
                options.RunLength = TimeSpan.FromSeconds(5);
                options.Concurrency = 4;
                options.ClaimBatch = 3;
                options.WriteDelay = TimeSpan.FromMilliseconds(100);
                options.CheckNowWait = TimeSpan.FromSeconds(2);
                options.ConcurrencyPerServer = 3;
            });
    }

    [Fact]
    public async Task DueMailboxes_AreCheckedOnce_WrittenWithTheirDueTime_AndDueAgainOneIntervalLater()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var healthy = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            healthy.Add(await CreateDueAsync(fixture.Settings(user, password)));
        }

        var failing = await CreateDueAsync(fixture.Settings(user, "wrong"));
        var all = healthy.Append(failing).ToList();
        var dueBefore = await DueTimesAsync(all);

        using var measured = new Measurements(fixture.Service<IMeterFactory>());
        await Dispatcher().RunAsync(1, default).WaitAsync(TimeSpan.FromSeconds(60));

        await using var db = await Db();
        var checks = await db.MailboxChecks.AsNoTracking().Where(c => all.Contains(c.MailboxId)).ToListAsync();
        Assert.Equal(all.Count, checks.Count);
        // What /metrics shows (the fixture's other tests may add more of their own).
        Assert.True(measured.Count("imapevents.checks", ("outcome", "succeeded")) >= healthy.Count);
        Assert.True(measured.Count("imapevents.checks", ("outcome", "failed")) >= 1);
        Assert.True(measured.Count("imapevents.check.start_lag") >= all.Count);
        Assert.True(measured.Count("imapevents.events", ("type", "login_failed")) >= 1);
        Assert.All(checks, check =>
        {
            Assert.False(check.Manual);
            Assert.Equal(dueBefore[check.MailboxId], check.DueAt);
            Assert.True(check.StartedAt >= check.DueAt);
            Assert.NotNull(check.FinishedAt);
        });
        Assert.All(checks.Where(c => c.MailboxId != failing), check => Assert.Equal(CheckOutcome.Succeeded, check.Outcome));

        var failed = Assert.Single(checks, c => c.MailboxId == failing);
        Assert.Equal(CheckOutcome.Failed, failed.Outcome);
        var loginFailed = Assert.Single(await db.Events.AsNoTracking().Where(e => e.MailboxId == failing).ToListAsync());
        Assert.Equal(ImapEventType.LoginFailed, loginFailed.Type);
        Assert.Equal(failed.Id, loginFailed.CheckId);
        Assert.NotNull(loginFailed.IncidentId);
        Assert.Equal(1, (await db.MailboxStatuses.AsNoTracking().SingleAsync(s => s.MailboxId == failing)).ConsecutiveFailures);

        var schedule = await db.CheckSchedules.AsNoTracking().Where(s => all.Contains(s.MailboxId)).ToListAsync();
        Assert.All(schedule, row =>
        {
            Assert.Null(row.LeasedBy);
            Assert.Null(row.LeasedUntil);
            Assert.Equal(dueBefore[row.MailboxId]!.Value.AddMinutes(60), row.DueAt);
        });
    }

    [Fact]
    public async Task TwoDispatchersAtOnce_CheckEachDueMailboxExactlyOnce()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 16; i++)
        {
            ids.Add(await CreateDueAsync(fixture.Settings(user, password)));
        }

        await Task.WhenAll(Dispatcher().RunAsync(1, default), Dispatcher().RunAsync(2, default)).WaitAsync(TimeSpan.FromSeconds(60));

        await using var db = await Db();
        var perMailbox = await db.MailboxChecks.AsNoTracking().Where(c => ids.Contains(c.MailboxId))
            .GroupBy(c => c.MailboxId).Select(g => g.Count()).ToListAsync();
        Assert.Equal(ids.Count, perMailbox.Count);
        Assert.All(perMailbox, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task AClaimOfAnInstanceThatIsGone_IsTakenOverWhenItRunsOut_ALiveOneIsLeftAlone()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var abandoned = await CreateDueAsync(fixture.Settings(user, password));
        var busy = await CreateDueAsync(fixture.Settings(user, password));
        await using (var db = await Db())
        {
            await db.CheckSchedules.Where(s => s.MailboxId == abandoned).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.LeasedBy, "gone-host:4242/deadbeef").SetProperty(s => s.LeasedUntil, DateTimeOffset.UtcNow.AddSeconds(-1)));
            await db.CheckSchedules.Where(s => s.MailboxId == busy).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.LeasedBy, "other-host:4343/cafebabe").SetProperty(s => s.LeasedUntil, DateTimeOffset.UtcNow.AddMinutes(10)));
        }

        using var measured = new Measurements(fixture.Service<IMeterFactory>());
        await Dispatcher().RunAsync(1, default).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(measured.Count("imapevents.checks", ("outcome", "interrupted")) >= 1);

        await using var after = await Db();
        var checks = await after.MailboxChecks.AsNoTracking().Where(c => c.MailboxId == abandoned).ToListAsync();
        Assert.Single(checks, c => c.Outcome == CheckOutcome.Succeeded);
        // The check the gone instance never finished leaves a trace, beside the mailbox's health too; no event.
        var interrupted = Assert.Single(checks, c => c.Outcome == CheckOutcome.Interrupted);
        Assert.Equal("gone-host:4242/deadbeef", interrupted.RunBy);
        Assert.StartsWith("Did not finish: gone-host:4242/deadbeef was running it and stopped, or lost the database", interrupted.ErrorMessage);
        Assert.Equal(interrupted.ErrorMessage, (await after.MailboxStatuses.AsNoTracking().SingleAsync(s => s.MailboxId == abandoned)).LastInterruption);
        Assert.Equal(0, await after.Events.CountAsync(e => e.MailboxId == abandoned));
        Assert.Equal(0, await after.MailboxChecks.CountAsync(c => c.MailboxId == busy));
        var listed = (await fixture.Service<MailboxAdministration>().ListAsync(new MailboxListQuery(PageSize: 10_000), default)).Items;
        Assert.True(listed.Single(m => m.Id == busy).CheckingNow);
        Assert.False(listed.Single(m => m.Id == abandoned).CheckingNow);
        // Check now meets the live claim as it would meet a running check: it waits (2 s here), then is handed back to
        // Hangfire to run again.
        await Assert.ThrowsAsync<MailboxBusyException>(() => fixture.Service<MailboxCheckJob>().RunNowAsync(busy, default));
        Assert.Equal(0, await after.MailboxChecks.CountAsync(c => c.MailboxId == busy));
    }

    [Fact]
    public async Task AMailboxDisabledAfterItWasDue_IsNotChecked_AndLosesItsDueTime()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var id = await CreateDueAsync(fixture.Settings(user, password));
        await using (var db = await Db())
        {
            // As a hand edit would: the schedule still says due.
            await db.Mailboxes.Where(m => m.Id == id).ExecuteUpdateAsync(u => u.SetProperty(m => m.Enabled, false));
        }

        await Dispatcher().RunAsync(1, default).WaitAsync(TimeSpan.FromSeconds(60));

        await using var after = await Db();
        Assert.Equal(0, await after.MailboxChecks.CountAsync(c => c.MailboxId == id));
        var row = await after.CheckSchedules.AsNoTracking().SingleAsync(s => s.MailboxId == id);
        Assert.Null(row.DueAt);
        Assert.Null(row.LeasedBy);
    }

    [Fact]
    public async Task ABatchWithTheChecksOfADeletedAndADisabledMailbox_WritesTheOthers()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var kept = await fixture.CreateMailboxAsync(fixture.Settings(user, password));
        var deleted = await fixture.CreateMailboxAsync(fixture.Settings(user, "wrong"));
        var disabled = await fixture.CreateMailboxAsync(fixture.Settings(user, "wrong"));
        var mailboxes = await MailboxesAsync(kept, deleted, disabled);
        var leases = fixture.Service<CheckLeases>();
        var claims = new Dictionary<Guid, string>
        {
            [kept] = Assert.IsType<string>(await leases.TryClaimAsync(mailboxes[kept], default)),
            [deleted] = Assert.IsType<string>(await leases.TryClaimAsync(mailboxes[deleted], default)),
            [disabled] = Assert.IsType<string>(await leases.TryClaimAsync(mailboxes[disabled], default)),
        };
        var job = fixture.Service<MailboxCheckJob>();
        var finished = new List<FinishedCheck>();
        foreach (var mailbox in mailboxes.Values)
        {
            var result = await job.RunCheckAsync(mailbox, default);
            finished.Add(new FinishedCheck(
                mailbox, new MailboxCheck { Id = Guid.NewGuid(), MailboxId = mailbox.Id, StartedAt = DateTimeOffset.UtcNow }, result, DateTimeOffset.UtcNow,
                RowWritten: false, claims[mailbox.Id]));
        }

        Assert.True(await fixture.Service<MailboxAdministration>().DeleteAsync(deleted, default));
        await fixture.Service<MailboxAdministration>().SetEnabledAsync(disabled, false, default);
        var raised = await fixture.Service<CheckRecorder>().RecordAsync(finished, default);

        // The disabled one's failure raises nothing: whoever disabled it expects no more alerts from it.
        Assert.Single(raised);
        await using (var check = await Db())
        {
            Assert.Equal(0, await check.Events.CountAsync(e => e.MailboxId == disabled));
            var row = await check.CheckSchedules.AsNoTracking().SingleAsync(s => s.MailboxId == disabled);
            Assert.Null(row.LeasedBy);
            Assert.Null(row.DueAt);
        }

        await using var db = await Db();
        Assert.Equal(1, await db.MailboxChecks.CountAsync(c => c.MailboxId == kept));
        Assert.Null((await db.CheckSchedules.AsNoTracking().SingleAsync(s => s.MailboxId == kept)).LeasedBy);
    }

    [Fact]
    public async Task AClaimGivenBackLate_NeverReleasesOrRenewsALaterClaimOfTheSameMailbox()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var id = await CreateDueAsync(fixture.Settings(user, password));
        var mailbox = (await MailboxesAsync(id))[id];
        // Instances of their own (not the app's, which the other tests' dispatcher runs use), as two processes would have.
        var first = NewInstance();
        var claimed = await first.TryClaimAsync(mailbox, default);
        Assert.NotNull(claimed);

        // The first instance lost the database for longer than a lease: its claim ran out, and another instance took the mailbox.
        await using (var db = await Db())
        {
            await db.CheckSchedules.Where(s => s.MailboxId == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.LeasedUntil, DateTimeOffset.UtcNow.AddSeconds(-1)));
        }

        // This instance does not claim again what it is still checking, even with the claim run out. (What else is due
        // in the fixture's database is given back at once.)
        var others = await first.ClaimDueAsync(100, [], default);
        await first.ReleaseAsync(others.Select(o => (o.MailboxId, o.Claim)).ToList(), default);
        Assert.DoesNotContain(others, c => c.MailboxId == id);
        Assert.Null(await first.TryClaimAsync(mailbox, default));
        var second = NewInstance();
        var taken = await second.TryClaimAsync(mailbox, default);
        Assert.NotNull(taken);
        var takenUntil = await LeasedUntilAsync(id);

        // The first one's check ends: its outcome is written, but the second one's claim stays as it was.
        await first.RenewAsync(default);
        await fixture.Service<CheckRecorder>().RecordAsync(
            [new FinishedCheck(mailbox, new MailboxCheck { Id = Guid.NewGuid(), MailboxId = id, StartedAt = DateTimeOffset.UtcNow },
                new CheckResult(CheckStage.Import, 0, 0, null), DateTimeOffset.UtcNow, RowWritten: false, claimed)],
            default);
        await first.ReleaseAsync([(id, claimed!)], default);
        await using (var db = await Db())
        {
            var row = await db.CheckSchedules.AsNoTracking().SingleAsync(s => s.MailboxId == id);
            Assert.Equal(taken, row.LeasedBy);
            Assert.Equal(takenUntil, row.LeasedUntil);
            Assert.Equal(1, await db.MailboxChecks.CountAsync(c => c.MailboxId == id));
        }

        Assert.Empty(first.Held);
        Assert.Equal([id], second.Held);
        await second.ReleaseAsync([(id, taken!)], default);
        Assert.Null(await LeasedUntilAsync(id));
    }

    [Fact]
    public async Task AServerRefusingTheLoginWithANulByteAndPagesOfText_IsRecordedAlerted_AndNotCheckedAgainUntilDue()
    {
        // A NUL, then a byte that is not UTF-8 (0xC3 starts a pair, "(" cannot end it), then pages of text.
        var refusal = new List<byte>();
        refusal.AddRange("Login refused\0 by "u8.ToArray());
        refusal.AddRange([0xC3, 0x28]);
        refusal.AddRange(Encoding.ASCII.GetBytes(" policy: " + new string('x', 5000)));
        await using var server = new RefusingImapServer([.. refusal]);
        var id = await CreateDueAsync(fixture.Settings("someone", "pw") with { ServerName = "127.0.0.1", ServerPort = server.Port, Security = ConnectionSecurity.None });
        var dueBefore = (await DueTimesAsync([id]))[id]!.Value;

        await Dispatcher().RunAsync(1, default).WaitAsync(TimeSpan.FromSeconds(60));

        await using var db = await Db();
        var check = await db.MailboxChecks.AsNoTracking().SingleAsync(c => c.MailboxId == id);
        Assert.Equal(CheckOutcome.Failed, check.Outcome);
        Assert.Equal(CheckErrorKind.CredentialsRejected, check.ErrorKind);
        Assert.StartsWith("The server rejected the username or password: ", check.ErrorMessage);
        Assert.Contains("Login refused\uFFFD by", check.ErrorMessage);
        Assert.DoesNotContain('\0', check.ErrorMessage!);
        Assert.Equal(CheckFailure.MaxMessageLength, check.ErrorMessage!.Length);
        Assert.EndsWith("x…", check.ErrorMessage);
        var failed = await db.Events.AsNoTracking().SingleAsync(e => e.MailboxId == id);
        Assert.Equal(ImapEventType.LoginFailed, failed.Type);
        Assert.Equal(check.ErrorMessage, failed.ErrorMessage);
        Assert.Equal(check.ErrorMessage, (await db.Incidents.AsNoTracking().SingleAsync(i => i.MailboxId == id && i.ClosedAt == null)).LastError);
        var row = await db.CheckSchedules.AsNoTracking().SingleAsync(s => s.MailboxId == id);
        Assert.Null(row.LeasedBy);
        Assert.Equal(dueBefore.AddMinutes(60), row.DueAt);
    }

    [Fact]
    public async Task AMailboxRowThisVersionCannotRead_IsLeftUnchecked_AndTheOthersAreChecked()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var readable = await CreateDueAsync(fixture.Settings(user, password));
        var unreadable = await CreateDueAsync(fixture.Settings(user, password));
        await using (var db = await Db())
        {
            // The database refuses such a value; a newer version's schema could allow one that this version does not know.
            await db.Database.ExecuteSqlRawAsync("""ALTER TABLE mailboxes DROP CONSTRAINT "CK_mailboxes_security" """);
            await db.Database.ExecuteSqlAsync($"""UPDATE mailboxes SET "Security" = 'Quantum' WHERE "Id" = {unreadable}""");
        }

        try
        {
            await Dispatcher().RunAsync(1, default).WaitAsync(TimeSpan.FromSeconds(60));

            await using var after = await Db();
            Assert.Equal(1, await after.MailboxChecks.CountAsync(c => c.MailboxId == readable && c.Outcome == CheckOutcome.Succeeded));
            Assert.Equal(0, await after.MailboxChecks.CountAsync(c => c.MailboxId == unreadable));
            // Tried again in an hour (and logged), not at every claim; the schedule repair leaves a due time alone.
            var row = await after.CheckSchedules.AsNoTracking().SingleAsync(s => s.MailboxId == unreadable);
            Assert.True(row.DueAt > DateTimeOffset.UtcNow.AddMinutes(55));
            Assert.Null(row.LeasedBy);
        }
        finally
        {
            // The fixture's other tests list every mailbox.
            await using var db = await Db();
            await db.Database.ExecuteSqlAsync($"""DELETE FROM mailboxes WHERE "Id" = {unreadable}""");
            await db.Database.ExecuteSqlRawAsync(
                """ALTER TABLE mailboxes ADD CONSTRAINT "CK_mailboxes_security" CHECK ("Security" IN ('None', 'StartTls', 'SslOnConnect'))""");
        }
    }

    [Theory]
    [InlineData("\"Security\" = 'Quantum'")]
    [InlineData("\"AfterImport\" = 'Shred'")]
    [InlineData("\"PollIntervalMinutes\" = 0")]
    [InlineData("\"PollIntervalMinutes\" = 1441")]
    [InlineData("\"ServerPort\" = 0")]
    [InlineData("\"ServerPort\" = 65536")]
    [InlineData("\"MaxMessageSizeKilobytes\" = -1")]
    [InlineData("\"Folder\" = '  '")]
    [InlineData("\"Folder\" = E'\\t'")]
    [InlineData("\"Folder\" = E'\\u00a0\\u3000'")]
    [InlineData("\"Folder\" = E'INBOX\\x01'")]
    [InlineData("\"AfterImport\" = 'MoveToFolder', \"MoveToFolder\" = E'\\u00a0'")]
    [InlineData("\"AfterImport\" = 'MoveToFolder', \"MoveToFolder\" = NULL")]
    [InlineData("\"AfterImport\" = 'MoveToFolder', \"MoveToFolder\" = ''")]
    public async Task TheDatabaseRefusesAMailboxRowThisVersionCouldNotReadOrSchedule(string change)
    {
        var id = await fixture.CreateMailboxAsync(fixture.Settings("refused", "pw"));
        await using var db = await Db();

        // The change is this test's own text, never input: written into the statement as a hand edit would be.
        var statement = "UPDATE mailboxes SET " + change + " WHERE \"Id\" = {0}";
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => db.Database.ExecuteSqlRawAsync(statement, id));
        Assert.Equal(Npgsql.PostgresErrorCodes.CheckViolation, refused.SqlState);
    }

    [Fact]
    public async Task ACheckThatOutlivedItsClaim_ReplacesTheDidNotFinishRowOfTheInstanceThatTookOver_AndCheckNowLeavesNone()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var scheduled = await CreateDueAsync(fixture.Settings(user, password));
        var manual = await CreateDueAsync(fixture.Settings(user, password));
        var mailboxes = await MailboxesAsync(scheduled, manual);
        const string scheduledClaim = "gone-host:4242/deadbeef#7";
        await using (var db = await Db())
        {
            // That instance lost the database for longer than a lease, holding a scheduled check of one mailbox and a
            // Check now of the other; this one takes both over.
            await db.CheckSchedules.Where(s => s.MailboxId == scheduled).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.LeasedBy, scheduledClaim).SetProperty(s => s.LeasedUntil, DateTimeOffset.UtcNow.AddSeconds(-1)));
            await db.CheckSchedules.Where(s => s.MailboxId == manual).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.LeasedBy, "gone-host:4242/deadbeef#now-8").SetProperty(s => s.LeasedUntil, DateTimeOffset.UtcNow.AddSeconds(-1)));
        }

        var dueAt = (await DueTimesAsync([scheduled]))[scheduled]!.Value;
        await Dispatcher().RunAsync(1, default).WaitAsync(TimeSpan.FromSeconds(60));
        await using (var db = await Db())
        {
            Assert.Equal(1, await db.MailboxChecks.CountAsync(c => c.MailboxId == scheduled && c.Outcome == CheckOutcome.Interrupted));
            // Check now's own row says whether it finished; the interrupted-check sweep closes it, not a second row.
            Assert.Equal(0, await db.MailboxChecks.CountAsync(c => c.MailboxId == manual && c.Outcome == CheckOutcome.Interrupted));
        }

        // The first instance's check did finish after all, and is written: it was no interruption.
        await fixture.Service<CheckRecorder>().RecordAsync(
            [new FinishedCheck(mailboxes[scheduled], new MailboxCheck { Id = Guid.NewGuid(), MailboxId = scheduled, StartedAt = dueAt, DueAt = dueAt },
                new CheckResult(CheckStage.Import, 0, 0, null), DateTimeOffset.UtcNow, RowWritten: false, scheduledClaim)],
            default);
        await using (var db = await Db())
        {
            var checks = await db.MailboxChecks.AsNoTracking().Where(c => c.MailboxId == scheduled).ToListAsync();
            Assert.Equal(2, checks.Count);
            Assert.All(checks, c => Assert.Equal(CheckOutcome.Succeeded, c.Outcome));
        }
    }

    [Fact]
    public async Task CheckNow_MovesAScheduledCheckDueWithinHalfAnInterval_ToTheNextPlaceOnTheGrid()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var soon = await fixture.CreateMailboxAsync(fixture.Settings(user, password) with { PollIntervalMinutes = 10 });
        var later = await fixture.CreateMailboxAsync(fixture.Settings(user, password) with { PollIntervalMinutes = 10 });
        var now = DateTimeOffset.UtcNow;
        await using (var db = await Db())
        {
            await db.CheckSchedules.Where(s => s.MailboxId == soon).ExecuteUpdateAsync(u => u.SetProperty(s => s.DueAt, now.AddSeconds(20)));
            await db.CheckSchedules.Where(s => s.MailboxId == later).ExecuteUpdateAsync(u => u.SetProperty(s => s.DueAt, now.AddMinutes(8)));
        }

        await fixture.Service<MailboxCheckJob>().RunNowAsync(soon, default);
        await fixture.Service<MailboxCheckJob>().RunNowAsync(later, default);

        var due = await DueTimesAsync([soon, later]);
        // Not 20 seconds after a check, with a second event for the same failure: the next place at least 5 minutes on.
        Assert.Equal(PollSchedule.NextDue(10, soon, now.AddMinutes(5)), due[soon]!.Value, TimeSpan.FromSeconds(10));
        Assert.True(due[soon] >= now.AddMinutes(5));
        Assert.Equal(now.AddMinutes(8), due[later]!.Value, TimeSpan.FromMilliseconds(1));
    }

    [Theory]
    [InlineData("Checks__WriteBatch", "0", "Checks__WriteBatch must be between 1 and 10000.")]
    [InlineData("Checks__Lease", "00:00:00", "Checks__Lease must be between 00:00:03 and 01:00:00.")]
    [InlineData("Checks__Lease", "abc", "Checks__Lease is \"abc\", which is not a time span such as 00:00:30.")]
    [InlineData("Checks__Dispatchers", "x1", "Checks__Dispatchers is \"x1\", which is not a whole number.")]
    [InlineData("Incidents__GroupingWindow", "abc", "Incidents__GroupingWindow is \"abc\", which is not a time span such as 00:00:30.")]
    public Task ChecksSettingsThatWouldStopTheChecks_AreRefusedAtStart_InOneSentence(string setting, string value, string sentence) =>
        AppProcess.AssertRefusedAtStartAsync(fixture.ConnectionString, new Dictionary<string, string> { [setting] = value }, sentence);

    [Fact]
    public async Task AServerThatHangs_HoldsNoMoreThanItsShareOfTheSlots_AndTheOtherServersMailboxesGoAhead()
    {
        await using var silent = new SilentListener();
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var hanging = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            hanging.Add(await CreateDueAsync(fixture.Settings("hangs", "pw") with { ServerName = "127.0.0.1", ServerPort = silent.Port }));
        }

        var healthy = new List<Guid> { await CreateDueAsync(fixture.Settings(user, password)), await CreateDueAsync(fixture.Settings(user, password)) };
        await using (var db = await Db())
        {
            // Due first: taken earliest due first, without a limit per server they would hold all four slots for 3 s; with
            // it they hold three, and the healthy mailboxes go through the fourth.
            await db.CheckSchedules.Where(s => hanging.Contains(s.MailboxId)).ExecuteUpdateAsync(u => u.SetProperty(s => s.DueAt, DateTimeOffset.UtcNow.AddHours(-2)));
        }

        await Dispatcher().RunAsync(1, default).WaitAsync(TimeSpan.FromSeconds(60));

        await using var after = await Db();
        var hangingChecks = await after.MailboxChecks.AsNoTracking().Where(c => hanging.Contains(c.MailboxId)).ToListAsync();
        var healthyChecks = await after.MailboxChecks.AsNoTracking().Where(c => healthy.Contains(c.MailboxId)).ToListAsync();
        Assert.NotEmpty(hangingChecks);
        Assert.All(hangingChecks, c => Assert.Equal(CheckErrorKind.Timeout, c.ErrorKind));
        // Never more than three connections to the hanging server at once (the fixture's limit per server).
        Assert.All(hangingChecks, c => Assert.True(
            hangingChecks.Count(o => o.StartedAt < c.FinishedAt && c.StartedAt < o.FinishedAt) <= 3,
            $"{hangingChecks.Count(o => o.StartedAt < c.FinishedAt && c.StartedAt < o.FinishedAt)} checks of the hanging server overlapped."));
        Assert.Equal(2, healthyChecks.Count);
        Assert.All(healthyChecks, c => Assert.Equal(CheckOutcome.Succeeded, c.Outcome));
        // Not after the hanging server's first checks gave up: beside them.
        Assert.All(healthyChecks, c => Assert.True(c.StartedAt < hangingChecks.Min(h => h.FinishedAt)));
    }

    private CheckLeases NewInstance() =>
        new(fixture.Service<IDbContextFactory<AppDbContext>>(), fixture.Service<IOptions<CheckDispatchOptions>>(), TimeProvider.System);

    private async Task<DateTimeOffset?> LeasedUntilAsync(Guid id)
    {
        await using var db = await Db();
        return (await db.CheckSchedules.AsNoTracking().SingleAsync(s => s.MailboxId == id)).LeasedUntil;
    }

    /// <summary>The measurements of this app's own ImapEvents meter (other hosts in the process have their own).</summary>
    private sealed class Measurements : IDisposable
    {
        private readonly MeterListener listener = new();
        private readonly List<(string Instrument, KeyValuePair<string, object?>[] Tags)> seen = [];

        public Measurements(IMeterFactory factory)
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "ImapEvents" && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) => Add(instrument.Name, tags));
            listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => Add(instrument.Name, tags));
            listener.Start();
        }

        public int Count(string instrument, params (string Key, string Value)[] tags)
        {
            lock (seen)
            {
                return seen.Count(m => m.Instrument == instrument && tags.All(t => m.Tags.Any(tag => tag.Key == t.Key && Equals(tag.Value?.ToString(), t.Value))));
            }
        }

        private void Add(string instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            lock (seen)
            {
                seen.Add((instrument, tags.ToArray()));
            }
        }

        public void Dispose() => listener.Dispose();
    }

    private CheckDispatcher Dispatcher() => fixture.Service<CheckDispatcher>();

    private Task<AppDbContext> Db() => fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();

    /// <summary>
    /// A mailbox (checked hourly) whose check is due: its latest time on its grid has passed, as if the dispatchers had
    /// not got to it yet. Its next one is then an hour after that, never within a test.
    /// </summary>
    private async Task<Guid> CreateDueAsync(MailboxSettings settings)
    {
        var id = await fixture.CreateMailboxAsync(settings);
        var minutes = settings.PollIntervalMinutes ?? 60;
        var due = PollSchedule.NextDue(minutes, id, DateTimeOffset.UtcNow) - TimeSpan.FromMinutes(minutes);
        await using var db = await Db();
        await db.CheckSchedules.Where(s => s.MailboxId == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.DueAt, due));
        return id;
    }

    private async Task<Dictionary<Guid, DateTimeOffset?>> DueTimesAsync(List<Guid> ids)
    {
        await using var db = await Db();
        return await db.CheckSchedules.AsNoTracking().Where(s => ids.Contains(s.MailboxId)).ToDictionaryAsync(s => s.MailboxId, s => s.DueAt);
    }

    private async Task<Dictionary<Guid, Mailbox>> MailboxesAsync(params Guid[] ids)
    {
        await using var db = await Db();
        return await db.Mailboxes.AsNoTracking().Where(m => ids.Contains(m.Id)).ToDictionaryAsync(m => m.Id);
    }
}
