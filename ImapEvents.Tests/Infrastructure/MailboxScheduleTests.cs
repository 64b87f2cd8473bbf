using Hangfire;
using Hangfire.Storage;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Tests.TestSupport;

namespace ImapEvents.Tests.Infrastructure;

public sealed class MailboxScheduleTests(CheckFixture fixture) : IClassFixture<CheckFixture>
{
    [Fact]
    public async Task TheRecurringCheck_FollowsCreateUpdateDisableAndDelete()
    {
        var mailboxes = fixture.Service<MailboxAdministration>();
        var id = await fixture.CreateMailboxAsync(fixture.Settings("schedule", "pw") with { PollIntervalMinutes = 5 });

        var created = Job(id);
        Assert.NotNull(created);
        Assert.Equal(JobQueues.Checks, created.Job.Queue);
        Assert.Equal(PollSchedule.Cron(5, id), created.Cron);
        Assert.Equal("MailboxCheckJob", created.Job.Type.Name);
        Assert.Equal([id], created.Job.Args.Cast<object>().Take(1).Select(a => (Guid)a));

        var edit = (await mailboxes.GetForEditAsync(id, default))!;
        Assert.True((await mailboxes.UpdateAsync(id, edit.Settings with { PollIntervalMinutes = 15 }, edit.Version, default)).Succeeded);
        Assert.Equal(PollSchedule.Cron(15, id), Job(id)!.Cron);

        Assert.True(await mailboxes.SetEnabledAsync(id, false, default));
        Assert.Null(Job(id));

        Assert.True(await mailboxes.SetEnabledAsync(id, true, default));
        Assert.NotNull(Job(id));

        Assert.True(await mailboxes.DeleteAsync(id, default));
        Assert.Null(Job(id));
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
        Assert.Contains($"Check mailbox {name} (imap.example.com)", recurring.Body!.TextContent, StringComparison.Ordinal);
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
    public async Task Reconciliation_RestoresMissingChecks_AndRemovesStrayOnes()
    {
        var id = await fixture.CreateMailboxAsync(fixture.Settings("reconcile", "pw"));
        var recurringJobs = fixture.Service<IRecurringJobManager>();
        var stray = MailboxSchedule.JobId(Guid.NewGuid());
        recurringJobs.RemoveIfExists(MailboxSchedule.JobId(id));
        recurringJobs.AddOrUpdate(stray, () => Console.WriteLine("left behind"), Cron.Hourly());

        await fixture.Service<MailboxSchedule>().ReconcileAsync(default);

        Assert.NotNull(Job(id));
        Assert.Null(RecurringJob(stray));
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

    private RecurringJobDto? Job(Guid mailboxId) => RecurringJob(MailboxSchedule.JobId(mailboxId));

    private RecurringJobDto? RecurringJob(string id)
    {
        using var connection = fixture.Service<JobStorage>().GetConnection();
        return connection.GetRecurringJobs([id]).SingleOrDefault(j => !j.Removed && j.Job is not null);
    }
}
