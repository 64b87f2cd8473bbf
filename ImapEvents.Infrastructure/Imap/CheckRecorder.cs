using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Infrastructure.Imap;

/// <summary>Writes each check, the mailbox's health and, when the check failed, exactly one event.</summary>
public sealed class CheckRecorder(
    IDbContextFactory<AppDbContext> dbFactory,
    IImapEventDispatcher dispatcher,
    TimeProvider time,
    Microsoft.Extensions.Logging.ILogger<CheckRecorder> logger)
{
    public async Task<MailboxCheck> StartAsync(Guid mailboxId, bool manual, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var check = new MailboxCheck
        {
            Id = Guid.NewGuid(),
            MailboxId = mailboxId,
            StartedAt = time.GetUtcNow(),
            StageReached = CheckStage.Connect,
            Manual = manual,
            RunBy = WorkerProcess.Current,
        };
        db.MailboxChecks.Add(check);
        await db.SaveChangesAsync(cancellationToken);
        return check;
    }

    public const string StoppedByShutdown = "Stopped because ImapEvents was shutting down; the next check runs as usual.";

    /// <summary>
    /// Closes the row of a check that did not finish (a shutdown stopped it, or its process is gone) and says so beside
    /// the mailbox's health. No event, and no change to the health itself: an interruption says nothing about the server.
    /// </summary>
    /// <returns>False when the check had finished after all.</returns>
    public async Task<bool> MarkInterruptedAsync(MailboxCheck check, string reason, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var closed = await db.MailboxChecks.Where(c => c.Id == check.Id && c.Outcome == null).ExecuteUpdateAsync(update => update
            .SetProperty(c => c.FinishedAt, time.GetUtcNow())
            .SetProperty(c => c.Outcome, CheckOutcome.Interrupted)
            .SetProperty(c => c.ErrorMessage, reason),
            cancellationToken);
        if (closed == 0)
        {
            return false;
        }

        var status = await db.MailboxStatuses.SingleOrDefaultAsync(s => s.MailboxId == check.MailboxId, cancellationToken);
        if (status is null)
        {
            status = new MailboxStatus { MailboxId = check.MailboxId };
            db.MailboxStatuses.Add(status);
        }

        if (status.LastInterruptedCheckAt is null || status.LastInterruptedCheckAt < check.StartedAt)
        {
            status.LastInterruptedCheckAt = check.StartedAt;
            status.LastInterruption = reason;
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <returns>The event the check raised, or null when it succeeded.</returns>
    public async Task<ImapEvent?> FinishAsync(Mailbox mailbox, MailboxCheck check, CheckResult result, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        check.FinishedAt = now;
        check.StageReached = result.StageReached;
        check.Outcome = result.Succeeded ? CheckOutcome.Succeeded : CheckOutcome.Failed;
        check.ErrorKind = result.Failure?.Kind ?? CheckErrorKind.None;
        check.ErrorMessage = result.Failure?.Message;
        check.MessagesImported = result.Imported;
        check.MessagesFailed = result.Failed;
        db.MailboxChecks.Update(check);

        var status = await db.MailboxStatuses.SingleOrDefaultAsync(s => s.MailboxId == mailbox.Id, cancellationToken);
        if (status is null)
        {
            status = new MailboxStatus { MailboxId = mailbox.Id };
            db.MailboxStatuses.Add(status);
        }

        status.LastCheckAt = now;
        status.LastOutcome = check.Outcome;
        status.LastStage = result.Failure?.Stage ?? result.StageReached;
        status.LastErrorKind = check.ErrorKind;
        status.LastError = check.ErrorMessage;
        status.ConsecutiveFailures = result.Succeeded ? 0 : status.ConsecutiveFailures + 1;
        status.LastSuccessAt = result.Succeeded ? now : status.LastSuccessAt;
        status.MessagesImported += result.Imported;

        ImapEvent? raised = null;
        if (result.Failure is { } failure)
        {
            raised = new ImapEvent
            {
                Id = Guid.NewGuid(),
                Type = failure.Stage.EventType(),
                OccurredAt = now,
                MailboxId = mailbox.Id,
                MailboxName = mailbox.DisplayName,
                ServerName = mailbox.ServerName,
                ServerPort = mailbox.ServerPort,
                LoginUsername = mailbox.LoginUsername,
                Ssl = mailbox.Security.RequiresTls(),
                Stage = failure.Stage,
                ErrorKind = failure.Kind,
                ErrorMessage = failure.Message,
                CheckId = check.Id,
            };
            db.Events.Add(raised);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        if (raised is not null)
        {
            try
            {
                await dispatcher.DispatchAsync(raised, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The event is stored; the pending-event sweep evaluates its rules again shortly.
                // Failing the check here would make Hangfire retry it and raise the event twice.
                Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger, ex,
                    "Rules for event {EventId} could not be evaluated now; the pending-event sweep retries", raised.Id);
            }
        }

        return raised;
    }
}
