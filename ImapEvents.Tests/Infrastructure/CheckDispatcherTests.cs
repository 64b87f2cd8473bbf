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

namespace ImapEvents.Tests.Infrastructure;

/// <summary>Scheduled checks as the dispatchers run them: claimed when due, checked concurrently, written together.</summary>
public sealed class CheckDispatcherTests(CheckDispatcherTests.DispatchFixture fixture) : IClassFixture<CheckDispatcherTests.DispatchFixture>
{
    /// <summary>Dispatcher runs of a few seconds (not a minute and more), four checks at a time, so claims interleave.</summary>
    public sealed class DispatchFixture : CheckFixture
    {
        protected override void ConfigureTestServices(IServiceCollection services) =>
            services.Configure<CheckDispatchOptions>(options =>
            {
                options.RunLength = TimeSpan.FromSeconds(3);
                options.Concurrency = 4;
                options.ClaimBatch = 3;
                options.WriteDelay = TimeSpan.FromMilliseconds(100);
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

        await Dispatcher().RunAsync(1, default).WaitAsync(TimeSpan.FromSeconds(60));

        await using var after = await Db();
        Assert.Equal(1, await after.MailboxChecks.CountAsync(c => c.MailboxId == abandoned));
        Assert.Equal(0, await after.MailboxChecks.CountAsync(c => c.MailboxId == busy));
        var listed = (await fixture.Service<MailboxAdministration>().ListAsync(new MailboxListQuery(PageSize: 10_000), default)).Items;
        Assert.True(listed.Single(m => m.Id == busy).CheckingNow);
        Assert.False(listed.Single(m => m.Id == abandoned).CheckingNow);
        // Check now meets the live claim as it would meet a running check: handed back to Hangfire to run again.
        await Assert.ThrowsAsync<MailboxBusyException>(() => fixture.Service<MailboxCheckJob>().RunNowAsync(busy, default));
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
    public async Task ABatchWithTheCheckOfADeletedMailbox_WritesTheOthers()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var kept = await fixture.CreateMailboxAsync(fixture.Settings(user, password));
        var deleted = await fixture.CreateMailboxAsync(fixture.Settings(user, "wrong"));
        var mailboxes = await MailboxesAsync(kept, deleted);
        var leases = fixture.Service<CheckLeases>();
        Assert.True(await leases.TryClaimAsync(mailboxes[kept], default));
        Assert.True(await leases.TryClaimAsync(mailboxes[deleted], default));
        var job = fixture.Service<MailboxCheckJob>();
        var finished = new List<FinishedCheck>();
        foreach (var mailbox in mailboxes.Values)
        {
            var result = await job.RunCheckAsync(mailbox, default);
            finished.Add(new FinishedCheck(mailbox, new MailboxCheck { Id = Guid.NewGuid(), MailboxId = mailbox.Id, StartedAt = DateTimeOffset.UtcNow }, result, DateTimeOffset.UtcNow, RowWritten: false));
        }

        Assert.True(await fixture.Service<MailboxAdministration>().DeleteAsync(deleted, default));
        var raised = await fixture.Service<CheckRecorder>().RecordAsync(finished, leases.Owner, default);

        Assert.Single(raised);
        await using var db = await Db();
        Assert.Equal(1, await db.MailboxChecks.CountAsync(c => c.MailboxId == kept));
        Assert.Null((await db.CheckSchedules.AsNoTracking().SingleAsync(s => s.MailboxId == kept)).LeasedBy);
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
