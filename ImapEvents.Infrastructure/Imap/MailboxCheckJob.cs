using Hangfire;
using ImapEvents.Core.Events;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Imap;

public enum CheckRunStatus
{
    Completed,
    MailboxMissing,
    MailboxDisabled,
    AlreadyRunning,
}

public sealed record CheckRun(CheckRunStatus Status, CheckResult? Result = null, ImapEvent? Event = null);

/// <summary>
/// The Hangfire job behind "mailbox-check:{id}" and "Check now". It takes the mailbox id only; the
/// password is read and decrypted here, so it never sits in Hangfire's tables.
/// </summary>
public sealed class MailboxCheckJob(
    IDbContextFactory<AppDbContext> dbFactory,
    MailboxPasswords passwords,
    ImapCheck check,
    CheckRecorder recorder,
    MailboxSchedule schedule,
    ILogger<MailboxCheckJob> logger)
{
    /// <summary>A scheduled check. A failed check is an event, not a job failure; only storage errors are retried.</summary>
    [Queue(JobQueues.Checks)]
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [10, 30, 60])]
    [JobDisplayName("Check mailbox {0}")]
    public async Task RunAsync(Guid mailboxId, CancellationToken cancellationToken) =>
        await CheckAsync(mailboxId, manual: false, cancellationToken);

    [Queue(JobQueues.Checks)]
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [10, 30, 60])]
    [JobDisplayName("Check mailbox {0} now")]
    public async Task RunNowAsync(Guid mailboxId, CancellationToken cancellationToken) =>
        await CheckAsync(mailboxId, manual: true, cancellationToken);

    public async Task<CheckRun> CheckAsync(Guid mailboxId, bool manual, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var mailbox = await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == mailboxId, cancellationToken);
        if (mailbox is null)
        {
            // Deleted while the job was queued: make sure its schedule is gone too.
            schedule.Remove(mailboxId);
            return new CheckRun(CheckRunStatus.MailboxMissing);
        }

        if (!mailbox.Enabled && !manual)
        {
            schedule.Remove(mailboxId);
            return new CheckRun(CheckRunStatus.MailboxDisabled);
        }

        await using var mailboxLock = await AdvisoryLocks.TryLockMailboxAsync(db.Database.GetConnectionString()!, mailboxId, cancellationToken);
        if (mailboxLock is null)
        {
            logger.LogInformation("Mailbox {MailboxId} is still being checked; this run is skipped", mailboxId);
            return new CheckRun(CheckRunStatus.AlreadyRunning);
        }

        var started = await recorder.StartAsync(mailboxId, manual, cancellationToken);
        var result = await check.RunAsync(mailbox, passwords.Unprotect(mailbox.ProtectedPassword), cancellationToken);
        var raised = await recorder.FinishAsync(mailbox, started, result, cancellationToken);
        logger.LogInformation(
            "Checked mailbox {MailboxId}: {Outcome} at {Stage}, {Imported} imported, {Failed} failed",
            mailboxId, result.Succeeded ? "succeeded" : "failed", result.StageReached, result.Imported, result.Failed);
        return new CheckRun(CheckRunStatus.Completed, result, raised);
    }
}
