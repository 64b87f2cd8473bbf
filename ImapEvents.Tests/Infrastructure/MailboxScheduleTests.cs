using Hangfire;
using Hangfire.Storage;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using ImapEvents.Tests.TestSupport;

namespace ImapEvents.Tests.Infrastructure;

public sealed class MailboxScheduleTests(CheckFixture fixture) : IClassFixture<CheckFixture>
{
    [Fact]
    public async Task TheDueTime_FollowsCreateUpdateDisableAndDelete()
    {
        var mailboxes = fixture.Service<MailboxAdministration>();
        var before = DateTimeOffset.UtcNow;
        var id = await fixture.CreateMailboxAsync(fixture.Settings("schedule", "pw") with { PollIntervalMinutes = 5 });

        var created = await DueAsync(id);
        Assert.NotNull(created);
        Assert.InRange(created.Value, before, DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal(PollSchedule.Offset(5, id), OffsetOf(created.Value, 5));
        // The Mailboxes page says when.
        var row = (await mailboxes.ListAsync(new MailboxListQuery(PageSize: 10_000), default)).Items.Single(m => m.Id == id);
        Assert.Equal(created, row.NextCheckAt);
        Assert.False(row.CheckingNow);

        var edit = (await mailboxes.GetForEditAsync(id, default))!;
        Assert.True((await mailboxes.UpdateAsync(id, edit.Settings with { PollIntervalMinutes = 15 }, edit.Version, default)).Succeeded);
        var changed = await DueAsync(id);
        Assert.NotNull(changed);
        Assert.Equal(PollSchedule.Offset(15, id), OffsetOf(changed.Value, 15));

        // A rename leaves the due time alone: nothing about when the mailbox is checked changed.
        edit = (await mailboxes.GetForEditAsync(id, default))!;
        Assert.True((await mailboxes.UpdateAsync(id, edit.Settings with { DisplayName = "Renamed" }, edit.Version, default)).Succeeded);
        Assert.Equal(changed, await DueAsync(id));

        // A shorter interval never puts the next check further off than it was: here it was due in 20 seconds.
        await using (var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            await db.CheckSchedules.Where(s => s.MailboxId == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.DueAt, DateTimeOffset.UtcNow.AddSeconds(20)));
        }

        var soon = await DueAsync(id);
        edit = (await mailboxes.GetForEditAsync(id, default))!;
        Assert.True((await mailboxes.UpdateAsync(id, edit.Settings with { PollIntervalMinutes = 10 }, edit.Version, default)).Succeeded);
        var shorter = (await DueAsync(id))!.Value;
        Assert.True(shorter <= soon, $"Due {shorter:O} after a shorter interval, later than the {soon:O} it was.");
        Assert.True(shorter == soon || OffsetOf(shorter, 10) == PollSchedule.Offset(10, id));

        Assert.True(await mailboxes.SetEnabledAsync(id, false, default));
        Assert.Null(await DueAsync(id));
        Assert.True(await RowExistsAsync(id));

        Assert.True(await mailboxes.SetEnabledAsync(id, true, default));
        Assert.NotNull(await DueAsync(id));

        Assert.True(await mailboxes.DeleteAsync(id, default));
        Assert.False(await RowExistsAsync(id));
    }

    [Fact]
    public async Task SavingAMailbox_QueuesACheckNow_WhenItIsNewReEnabledOrItsConnectionChanged()
    {
        var mailboxes = fixture.Service<MailboxAdministration>();
        var id = await fixture.CreateMailboxAsync(fixture.Settings("check-on-save", "pw") with { PollIntervalMinutes = 60 });
        Assert.Equal(1, ChecksQueuedFor(id));

        async Task<MailboxSaveResult> EditAsync(Func<MailboxSettings, MailboxSettings> change)
        {
            var edit = (await mailboxes.GetForEditAsync(id, default))!;
            var saved = await mailboxes.UpdateAsync(id, change(edit.Settings), edit.Version, default);
            Assert.True(saved.Succeeded);
            return saved;
        }

        // What the check does not depend on: no check now, the interval decides.
        Assert.False((await EditAsync(s => s with { DisplayName = "Renamed", PollIntervalMinutes = 30 })).CheckQueued);
        Assert.Equal(1, ChecksQueuedFor(id));
        // A new password (or server, port, username, security, certificate rule, folder): checked at once.
        Assert.True((await EditAsync(s => s with { Password = "new-pw" })).CheckQueued);
        Assert.True((await EditAsync(s => s with { Folder = "Archive" })).CheckQueued);
        Assert.Equal(3, ChecksQueuedFor(id));

        Assert.True(await mailboxes.SetEnabledAsync(id, false, default));
        Assert.False((await EditAsync(s => s with { ServerPort = 1143, Password = "pw" })).CheckQueued);
        Assert.Equal(3, ChecksQueuedFor(id));
        Assert.True(await mailboxes.SetEnabledAsync(id, true, default));
        Assert.True(await mailboxes.SetEnabledAsync(id, true, default));
        Assert.Equal(4, ChecksQueuedFor(id));

        var disabled = await mailboxes.CreateAsync(fixture.Settings("check-on-save", "pw") with { Enabled = false }, default);
        Assert.False(disabled.CheckQueued);
        Assert.Equal(0, ChecksQueuedFor(disabled.Id!.Value));
    }

    [Fact]
    public async Task TheJobDashboard_NamesEachCheckAfterItsMailbox_AndSaysWhenTheMailboxIsGone()
    {
        var mailboxes = fixture.Service<MailboxAdministration>();
        var name = $"Support {Guid.NewGuid():N}"[..16];
        var id = await fixture.CreateMailboxAsync(fixture.Settings("named", "pw") with { DisplayName = name, ServerName = "imap.example.com" });
        var checkNow = mailboxes.CheckNow(id);
        var client = await fixture.App.SignedInClientAsync(ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);

        var recurring = await client.GetPageAsync("/hangfire/recurring?count=1000");
        var queued = await client.GetPageAsync($"/hangfire/jobs/details/{checkNow}");
        // Scheduled checks are run by the dispatchers, named for what they do; Check now is named for its mailbox.
        Assert.Contains("Run due mailbox checks (dispatcher 1)", recurring.Body!.TextContent, StringComparison.Ordinal);
        Assert.Contains($"Check mailbox {name} (imap.example.com) now", queued.Body!.TextContent, StringComparison.Ordinal);

        Assert.True(await mailboxes.DeleteAsync(id, default));
        var orphan = await client.GetPageAsync($"/hangfire/jobs/details/{checkNow}");
        Assert.Contains($"Check mailbox (deleted) {id} now", orphan.Body!.TextContent, StringComparison.Ordinal);
    }

    /// <summary>The "Check now" jobs waiting for this mailbox (this fixture runs no job server, so they wait).</summary>
    private long ChecksQueuedFor(Guid mailboxId) =>
        fixture.Service<JobStorage>().GetMonitoringApi().EnqueuedJobs(JobQueues.Checks, 0, 10_000)
            .Count(job => job.Value.Job is { Method.Name: nameof(MailboxCheckJob.RunNowAsync) } checkJob && checkJob.Args[0] is Guid target && target == mailboxId);

    [Fact]
    public async Task Reconciliation_GivesEveryMailboxItsDueTime_AndRemovesThePerMailboxJobsOfEarlierVersions()
    {
        var missing = await fixture.CreateMailboxAsync(fixture.Settings("reconcile", "pw"));
        var disabled = await fixture.CreateMailboxAsync(fixture.Settings("reconcile", "pw"));
        Assert.True(await fixture.Service<MailboxAdministration>().SetEnabledAsync(disabled, false, default));
        await using (var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            // As an earlier version left them (no row), or a hand edit (a disabled mailbox with a due time).
            await db.CheckSchedules.Where(s => s.MailboxId == missing).ExecuteDeleteAsync();
            await db.CheckSchedules.Where(s => s.MailboxId == disabled).ExecuteUpdateAsync(u => u.SetProperty(s => s.DueAt, DateTimeOffset.UtcNow));
        }

        var recurringJobs = fixture.Service<IRecurringJobManager>();
        var legacy = $"{MailboxSchedule.LegacyJobIdPrefix}{missing}";
        recurringJobs.AddOrUpdate(legacy, () => Console.WriteLine("left behind"), Cron.Hourly());

        await fixture.Service<MailboxSchedule>().ReconcileAsync(default);

        Assert.Equal(PollSchedule.Offset(60, missing), OffsetOf((await DueAsync(missing))!.Value, 60));
        Assert.Null(await DueAsync(disabled));
        Assert.Null(RecurringJob(legacy));
        Assert.Equal(0, await fixture.Service<MailboxSchedule>().RepairAsync(default));
    }

    [Fact]
    public async Task AnEditFromAStaleForm_IsRefused_NotSilentlyOverwritten()
    {
        var mailboxes = fixture.Service<MailboxAdministration>();
        var id = await fixture.CreateMailboxAsync(fixture.Settings("stale", "pw"));
        var first = (await mailboxes.GetForEditAsync(id, default))!;
        var second = (await mailboxes.GetForEditAsync(id, default))!;

        var saved = await mailboxes.UpdateAsync(id, first.Settings with { DisplayName = "First edit" }, first.Version, default);
        var stale = await mailboxes.UpdateAsync(id, second.Settings with { DisplayName = "Second edit" }, second.Version, default);

        Assert.True(saved.Succeeded);
        Assert.Equal(MailboxAdministration.ConcurrencyConflict, Assert.Single(stale.Errors).Value);
        Assert.Equal("First edit", (await mailboxes.GetForEditAsync(id, default))!.Settings.DisplayName);
    }

    [Fact]
    public async Task InvalidSettings_AreRefusedFieldByField_AndNothingIsSaved()
    {
        var mailboxes = fixture.Service<MailboxAdministration>();
        var before = (await mailboxes.ListAsync(new MailboxListQuery(PageSize: 1000), default)).TotalCount;

        var result = await mailboxes.CreateAsync(new MailboxSettings { ServerName = "imap://bad host", ServerPort = 70000, PollIntervalMinutes = 0 }, default);

        Assert.False(result.Succeeded);
        Assert.Contains(nameof(MailboxSettings.DisplayName), result.Errors.Keys);
        Assert.Contains(nameof(MailboxSettings.ServerName), result.Errors.Keys);
        Assert.Contains(nameof(MailboxSettings.ServerPort), result.Errors.Keys);
        Assert.Contains(nameof(MailboxSettings.LoginUsername), result.Errors.Keys);
        Assert.Contains(nameof(MailboxSettings.Password), result.Errors.Keys);
        Assert.Contains(nameof(MailboxSettings.PollIntervalMinutes), result.Errors.Keys);
        Assert.Equal(before, (await mailboxes.ListAsync(new MailboxListQuery(PageSize: 1000), default)).TotalCount);
    }

    [Fact]
    public async Task TheStoredPassword_IsNeverSentToAServerItWasNotEnteredFor()
    {
        var mailboxes = fixture.Service<MailboxAdministration>();
        var id = await fixture.CreateMailboxAsync(fixture.Settings("kept", "the-stored-password"));
        var edit = (await mailboxes.GetForEditAsync(id, default))!;
        var elsewhere = edit.Settings with { ServerName = "attacker.example", Password = null };

        var saved = await mailboxes.UpdateAsync(id, elsewhere, edit.Version, default);
        var test = await mailboxes.ForTestAsync(id, elsewhere, default);
        var sameServer = await mailboxes.ForTestAsync(id, edit.Settings with { Password = null }, default);

        Assert.Equal(MailboxAdministration.PasswordForNewServer, saved.Errors[nameof(MailboxSettings.Password)]);
        Assert.Null(test);
        Assert.Equal("the-stored-password", sameServer!.Value.Password);
        Assert.True((await mailboxes.UpdateAsync(id, elsewhere with { Password = "typed-again" }, edit.Version, default)).Succeeded);
    }

    [Fact]
    public async Task TheHealthSummary_CountsHealthyFailingUncheckedAndDisabledMailboxes()
    {
        var mailboxes = fixture.Service<MailboxAdministration>();
        var before = await mailboxes.HealthSummaryAsync(default);
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var healthy = await fixture.CreateMailboxAsync(fixture.Settings(user, password));
        var failing = await fixture.CreateMailboxAsync(fixture.Settings(user, "wrong"));
        await fixture.CreateMailboxAsync(fixture.Settings(user, password));
        var disabled = await fixture.CreateMailboxAsync(fixture.Settings(user, password));
        await fixture.CheckAsync(healthy);
        await fixture.CheckAsync(failing);
        await mailboxes.SetEnabledAsync(disabled, false, default);

        var after = await mailboxes.HealthSummaryAsync(default);

        Assert.Equal(before.Total + 4, after.Total);
        Assert.Equal(before.Healthy + 1, after.Healthy);
        Assert.Equal(before.Failing + 1, after.Failing);
        Assert.Equal(before.NotCheckedYet + 1, after.NotCheckedYet);
        Assert.Equal(before.Disabled + 1, after.Disabled);

        // The Mailboxes page's health filter lists exactly what each figure counts.
        async Task<IReadOnlyList<Guid>> ListedAsync(MailboxHealthState health) =>
            (await mailboxes.ListAsync(new MailboxListQuery(user, PageSize: 100, Health: health), default)).Items.Select(m => m.Id).ToList();
        Assert.Equal([healthy], await ListedAsync(MailboxHealthState.Healthy));
        Assert.Equal([failing], await ListedAsync(MailboxHealthState.Failing));
        Assert.Equal([disabled], await ListedAsync(MailboxHealthState.Disabled));
        Assert.Single(await ListedAsync(MailboxHealthState.NotCheckedYet));
        Assert.Equal(after.Failing, (await mailboxes.ListAsync(new MailboxListQuery(Health: MailboxHealthState.Failing), default)).TotalCount);
        Assert.Equal(after.NotCheckedYet, (await mailboxes.ListAsync(new MailboxListQuery(Health: MailboxHealthState.NotCheckedYet), default)).TotalCount);
    }

    private async Task<DateTimeOffset?> DueAsync(Guid mailboxId)
    {
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return (await db.CheckSchedules.AsNoTracking().SingleAsync(s => s.MailboxId == mailboxId)).DueAt;
    }

    private async Task<bool> RowExistsAsync(Guid mailboxId)
    {
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.CheckSchedules.AnyAsync(s => s.MailboxId == mailboxId);
    }

    private static TimeSpan OffsetOf(DateTimeOffset due, int intervalMinutes) =>
        TimeSpan.FromTicks((due - DateTimeOffset.UnixEpoch).Ticks % TimeSpan.FromMinutes(intervalMinutes).Ticks);

    private RecurringJobDto? RecurringJob(string id)
    {
        using var connection = fixture.Service<JobStorage>().GetConnection();
        return connection.GetRecurringJobs([id]).SingleOrDefault(j => !j.Removed && j.Job is not null);
    }
}
