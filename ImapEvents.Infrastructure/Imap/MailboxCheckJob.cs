using System.Diagnostics;
using Hangfire;
using ImapEvents.Core.Events;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Scheduling;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Imap;

public enum CheckRunStatus
{
    Completed,
    MailboxMissing,
    MailboxDisabled,
    AlreadyRunning,
}

/// <param name="Event">The failure event the check raised (one per failed check).</param>
/// <param name="Raised">Every event the check raised: the failure, a recovery, a certificate warning.</param>
public sealed record CheckRun(CheckRunStatus Status, CheckResult? Result = null, ImapEvent? Event = null, IReadOnlyList<ImapEvent>? Raised = null);

/// <summary>Hands a manual check that met a running one back to Hangfire, which retries it shortly.</summary>
public sealed class MailboxBusyException(string message) : Exception(message);

/// <summary>
/// The Hangfire job behind "Check now" and the check on save. It takes the mailbox id only; the password is read and
/// decrypted here, so it never sits in Hangfire's tables. Scheduled checks are run in batches by the dispatchers
/// (<see cref="CheckDispatcher"/>); both claim the mailbox the same way, so checks of one mailbox never overlap.
/// </summary>
public sealed class MailboxCheckJob(
    IDbContextFactory<AppDbContext> dbFactory,
    MailboxPasswords passwords,
    ImapCheck check,
    CheckRecorder recorder,
    CheckLeases leases,
    IOptions<CheckDispatchOptions> options,
    ILogger<MailboxCheckJob> logger)
{
    /// <summary>
    /// A scheduled check as earlier versions queued it (one recurring job per mailbox): jobs already queued by such a
    /// version still run. A failed check is an event, not a job failure; only storage errors are retried.
    /// </summary>
    [Queue(JobQueues.Checks)]
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [10, 30, 60])]
    [MailboxCheckJobName("Check mailbox {0}")]
    public async Task RunAsync(Guid mailboxId, CancellationToken cancellationToken) =>
        await CheckAsync(mailboxId, manual: false, cancellationToken);

    /// <summary>
    /// Check now, and the check when a mailbox is saved. Both ask for a check with the settings as they are
    /// now, which a check already running may have read before they changed: this one waits for that check
    /// (usually a scheduled one, done in seconds), then runs. A check that goes on longer than
    /// <see cref="CheckDispatchOptions.CheckNowWait"/> hands this one back to Hangfire's retry.
    /// </summary>
    [Queue(JobQueues.Checks)]
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [10, 30, 60])]
    [MailboxCheckJobName("Check mailbox {0} now")]
    public async Task RunNowAsync(Guid mailboxId, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var run = await CheckAsync(mailboxId, manual: true, cancellationToken);
            if (run.Status != CheckRunStatus.AlreadyRunning)
            {
                return;
            }

            if (waited.Elapsed >= options.Value.CheckNowWait)
            {
                throw new MailboxBusyException($"Mailbox {mailboxId} was being checked already; this check runs again in a moment.");
            }

            await Task.Delay(BusyPoll, cancellationToken);
        }
    }

    private static readonly TimeSpan BusyPoll = TimeSpan.FromMilliseconds(500);

    public async Task<CheckRun> CheckAsync(Guid mailboxId, bool manual, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var mailbox = await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == mailboxId, cancellationToken);
        if (mailbox is null)
        {
            return new CheckRun(CheckRunStatus.MailboxMissing);
        }

        if (!mailbox.Enabled && !manual)
        {
            return new CheckRun(CheckRunStatus.MailboxDisabled);
        }

        if (await leases.TryClaimAsync(mailbox, cancellationToken) is not { } claim)
        {
            logger.LogDebug("Mailbox {MailboxId} is being checked already", mailboxId);
            return new CheckRun(CheckRunStatus.AlreadyRunning);
        }

        using var scope = logger.BeginScope("Mailbox {MailboxId}", mailboxId);
        var completed = false;
        try
        {
            var run = await CheckClaimedAsync(mailbox, manual, cancellationToken);
            completed = true;
            return run;
        }
        finally
        {
            try
            {
                if (completed && mailbox.Enabled)
                {
                    await leases.ReleaseAfterCheckNowAsync(mailbox, claim, CancellationToken.None);
                }
                else
                {
                    await leases.ReleaseAsync([(mailboxId, claim)], CancellationToken.None);
                }
            }
            catch (Exception ex)
            {
                // The claim runs out by itself within one lease; the check's own outcome matters more than this.
                logger.LogWarning(ex, "The claim on mailbox {MailboxId} could not be given back; it runs out by itself", mailboxId);
            }
        }
    }

    private async Task<CheckRun> CheckClaimedAsync(Core.Mailboxes.Mailbox mailbox, bool manual, CancellationToken cancellationToken)
    {
        var mailboxId = mailbox.Id;
        var started = await recorder.StartAsync(mailboxId, manual, cancellationToken);
        CheckResult result;
        try
        {
            result = await RunCheckAsync(mailbox, cancellationToken);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the row must not stay "running" for ever.
            await recorder.MarkInterruptedAsync(started, CheckRecorder.StoppedByShutdown, CancellationToken.None);
            throw;
        }

        IReadOnlyList<ImapEvent> raised;
        try
        {
            raised = await recorder.FinishAsync(mailbox, started, result, cancellationToken);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            await recorder.MarkInterruptedAsync(started, CheckRecorder.StoppedByShutdown, CancellationToken.None);
            throw;
        }
        logger.LogInformation(
            "Checked mailbox {MailboxId}: {Outcome} at {Stage}, {Imported} imported, {Failed} failed",
            mailboxId, result.Succeeded ? "succeeded" : "failed", result.StageReached, result.Imported, result.Failed);
        return new CheckRun(CheckRunStatus.Completed, result, raised.FirstOrDefault(e => e.Type.IsFailure()), raised);
    }

    /// <summary>The check itself, for a mailbox already claimed: its password decrypted, then the IMAP conversation.</summary>
    public Task<CheckResult> RunCheckAsync(Core.Mailboxes.Mailbox mailbox, CancellationToken cancellationToken) =>
        TryReadPassword(mailbox, out var password) is { } unreadable
            ? Task.FromResult(unreadable)
            : check.RunAsync(mailbox, password, cancellationToken);

    private CheckResult? TryReadPassword(Core.Mailboxes.Mailbox mailbox, out string password)
    {
        try
        {
            password = passwords.Unprotect(mailbox.ProtectedPassword);
            return null;
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            logger.LogError(ex, "The stored password of mailbox {MailboxId} cannot be decrypted", mailbox.Id);
            password = "";
            return new CheckResult(Core.Checks.CheckStage.Authenticate, 0, 0, new CheckFailure(
                Core.Checks.CheckStage.Authenticate, Core.Checks.CheckErrorKind.PasswordUnreadable,
                "The stored password cannot be decrypted (the Data Protection key ring it was encrypted with is gone). Edit the mailbox and enter its password again."));
        }
    }
}
