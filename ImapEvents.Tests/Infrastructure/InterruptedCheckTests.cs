using System.Diagnostics;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>Checks left "running" because the process running them is gone are closed as interrupted, never left without an outcome.</summary>
public sealed class InterruptedCheckTests(CheckFixture fixture) : IClassFixture<CheckFixture>
{
    [Fact]
    public async Task AtStartUp_ACheckLeftRunningByAProcessThatEnded_IsClosedAsInterrupted_AndTheMailboxesListSaysWhy()
    {
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings("left-running", "pw") with { DisplayName = "Left running" });
        var dead = await RunningCheckAsync(mailboxId, $"{Environment.MachineName}:{await EndedProcessIdAsync()}", TimeSpan.FromMinutes(1));
        var alive = await RunningCheckAsync(mailboxId, WorkerProcess.Current, TimeSpan.Zero);

        // Another instance starting on this machine, as after a kill -9 and a restart.
        await using (var restarted = new ImapEventsApp(fixture.ConnectionString, ImapEventsApp.WithBootstrapAdmin(new Dictionary<string, string?> { ["Jobs:RunServer"] = "false" })))
        {
            _ = restarted.Services;
        }

        var closed = await CheckAsync(dead.Id);
        Assert.Equal(CheckOutcome.Interrupted, closed.Outcome);
        Assert.NotNull(closed.FinishedAt);
        Assert.Equal(InterruptedCheckSweep.ProcessEnded, closed.ErrorMessage);
        // A live process's check goes on.
        Assert.Null((await CheckAsync(alive.Id)).Outcome);
        var row = Assert.Single((await fixture.Service<MailboxAdministration>().ListAsync(new MailboxListQuery("Left running"), CancellationToken.None)).Items);
        Assert.Equal(InterruptedCheckSweep.ProcessEnded, row.InterruptionToShow);
        Assert.Equal(MailboxHealthState.NotCheckedYet, MailboxAdministration.HealthOf(row.Enabled, row.LastOutcome));
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        Assert.False(await db.Events.AnyAsync(e => e.MailboxId == mailboxId));
    }

    [Fact]
    public async Task TheSweep_ClosesAnotherMachinesCheckOnlyOnceItRanLongerThanAnyCheckCan_AndThisProcesssPredecessorsAtOnce()
    {
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings("sweep", "pw"));
        var longest = fixture.Service<IOptions<ImapCheckOptions>>().Value.LongestCheck;
        var elsewhereRecent = await RunningCheckAsync(mailboxId, "another-machine:4242", longest - TimeSpan.FromMinutes(1));
        var elsewhereTooLong = await RunningCheckAsync(mailboxId, "another-machine:4242", longest + TimeSpan.FromMinutes(1));
        // The same host and process number as this process, but from before it started: a restarted container's app is pid 1 again.
        using var self = Process.GetCurrentProcess();
        var predecessor = await RunningCheckAsync(mailboxId, WorkerProcess.Current, DateTimeOffset.UtcNow - self.StartTime.ToUniversalTime() + TimeSpan.FromMinutes(1));

        var closed = await fixture.Service<InterruptedCheckSweep>().RunAsync(CancellationToken.None);

        Assert.Equal(2, closed);
        Assert.Null((await CheckAsync(elsewhereRecent.Id)).Outcome);
        var tooLong = await CheckAsync(elsewhereTooLong.Id);
        Assert.Equal(CheckOutcome.Interrupted, tooLong.Outcome);
        Assert.Equal(
            $"Still marked as running {longest.TotalMinutes:0} minutes after it started, longer than any check can take: the ImapEvents instance running it has stopped. " +
            "The next check picks up where this one stopped.",
            tooLong.ErrorMessage);
        Assert.Equal(InterruptedCheckSweep.ProcessEnded, (await CheckAsync(predecessor.Id)).ErrorMessage);
        Assert.Equal(TimeSpan.FromMinutes(15), new ImapCheckOptions().LongestCheck);
    }

    [Fact]
    public async Task AFinishedCheck_HidesAnEarlierInterruption()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password) with { DisplayName = $"Finished {user}" });
        await RunningCheckAsync(mailboxId, $"{Environment.MachineName}:{await EndedProcessIdAsync()}", TimeSpan.FromMinutes(1));
        await fixture.Service<InterruptedCheckSweep>().RunAsync(CancellationToken.None);
        var administration = fixture.Service<MailboxAdministration>();
        Assert.NotNull(Assert.Single((await administration.ListAsync(new MailboxListQuery($"Finished {user}"), CancellationToken.None)).Items).InterruptionToShow);

        var run = await fixture.CheckAsync(mailboxId);

        Assert.True(run.Result!.Succeeded, run.Result.Failure?.Message);
        var row = Assert.Single((await administration.ListAsync(new MailboxListQuery($"Finished {user}"), CancellationToken.None)).Items);
        Assert.Null(row.InterruptionToShow);
        Assert.Equal(CheckOutcome.Succeeded, row.LastOutcome);
    }

    [Fact]
    public async Task ACheck_RecordsWhichProcessRunsIt()
    {
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings("nobody", "irrelevant") with { ServerPort = LoopbackTcpServer.ClosedPort() });

        await fixture.CheckAsync(mailboxId);

        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        Assert.Equal($"{Environment.MachineName}:{Environment.ProcessId}", (await db.MailboxChecks.SingleAsync(c => c.MailboxId == mailboxId)).RunBy);
    }

    /// <summary>The number of a process that ran and ended a moment ago.</summary>
    private static async Task<int> EndedProcessIdAsync()
    {
        using var process = Process.Start("true") ?? throw new InvalidOperationException("Could not start `true`.");
        await process.WaitForExitAsync();
        return process.Id;
    }

    private async Task<MailboxCheck> RunningCheckAsync(Guid mailboxId, string runBy, TimeSpan startedAgo)
    {
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var check = new MailboxCheck
        {
            Id = Guid.NewGuid(),
            MailboxId = mailboxId,
            StartedAt = DateTimeOffset.UtcNow - startedAgo,
            StageReached = CheckStage.Download,
            RunBy = runBy,
        };
        db.MailboxChecks.Add(check);
        await db.SaveChangesAsync();
        return check;
    }

    private async Task<MailboxCheck> CheckAsync(Guid checkId)
    {
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.MailboxChecks.AsNoTracking().SingleAsync(c => c.Id == checkId);
    }
}
