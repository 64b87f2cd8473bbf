using ImapEvents.Core.Text;
using Hangfire;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>
/// Queues one Hangfire job per delivery, after the deliveries committed. A delivery whose job could not be
/// queued (PostgreSQL gone for a moment, the process stopped) stays Pending and the sweep queues it later.
/// </summary>
public sealed class DeliveryQueue(
    IBackgroundJobClient jobs,
    JobStorage storage,
    IDbContextFactory<AppDbContext> dbFactory,
    ImapEventsMetrics metrics,
    TimeProvider time,
    ILogger<DeliveryQueue> logger)
{
    /// <summary>Unfinished deliveries older than this are compared with their Hangfire job (the longest back-off is 4 h).</summary>
    public static readonly TimeSpan ReconcileAfter = TimeSpan.FromHours(1);

    /// <summary>Deliveries younger than this are left to the dispatcher that stored them.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    public const string ProcessEndedDuringAttempt =
        "The ImapEvents process sending this ended during the attempt (killed, crashed or out of memory), so whether the receiver " +
        "got it is unknown. The next attempt sends it again as the same delivery (a webhook keeps its webhook-id), so a receiver can drop a duplicate.";

    public async Task EnqueueAsync(IEnumerable<Guid> deliveryIds, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        foreach (var id in deliveryIds)
        {
            // One job and one row update per delivery: each delivery must know its own job.
            var jobId = jobs.Enqueue<DeliveryJob>(JobQueues.Actions, job => job.RunAsync(id, null, CancellationToken.None));
            var now = time.GetUtcNow();
            await db.Deliveries
                .Where(d => d.Id == id && d.EnqueuedAt == null)
                .ExecuteUpdateAsync(update => update.SetProperty(d => d.JobId, jobId).SetProperty(d => d.EnqueuedAt, now), cancellationToken);
        }
    }

    /// <summary>
    /// "Retry now" on a failed or retrying delivery: a new job, right away, with the attempts so far kept.
    /// </summary>
    /// <returns>Null when queued; otherwise why not.</returns>
    public async Task<string?> RetryNowAsync(Guid deliveryId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var status = await db.Deliveries.AsNoTracking().Where(d => d.Id == deliveryId).Select(d => (DeliveryStatus?)d.Status).SingleOrDefaultAsync(cancellationToken);
        if (status is not (DeliveryStatus.Failed or DeliveryStatus.Retrying))
        {
            return status is null ? "This delivery no longer exists." : $"This delivery is {status.Value.ToString().ToLowerInvariant()}; only failed or retrying ones can be retried.";
        }

        var jobId = jobs.Enqueue<DeliveryJob>(JobQueues.Actions, job => job.RunAsync(deliveryId, null, CancellationToken.None));
        var now = time.GetUtcNow();
        await db.Deliveries
            .Where(d => d.Id == deliveryId)
            .ExecuteUpdateAsync(update => update.SetProperty(d => d.JobId, jobId).SetProperty(d => d.EnqueuedAt, now), cancellationToken);
        logger.LogInformation("Delivery {DeliveryId} queued again by hand as job {JobId}", deliveryId, jobId);
        return null;
    }

    /// <summary>Queues the deliveries stored but never queued; the recurring sweep calls it.</summary>
    public async Task<int> EnqueueOrphansAsync(CancellationToken cancellationToken)
    {
        var before = time.GetUtcNow() - Grace;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var orphans = await db.Deliveries.AsNoTracking()
            .Where(d => d.Status == DeliveryStatus.Pending && d.EnqueuedAt == null && d.CreatedAt < before)
            .OrderBy(d => d.CreatedAt)
            .Select(d => d.Id)
            .Take(500)
            .ToListAsync(cancellationToken);
        if (orphans.Count > 0)
        {
            logger.LogWarning("Queuing {Count} action deliveries that were stored but never queued", orphans.Count);
            await EnqueueAsync(orphans, cancellationToken);
        }

        return orphans.Count;
    }

    /// <summary>
    /// Records as interrupted the attempts that a process on this machine left Sending when it ended, and puts their
    /// deliveries back to Retrying, so none says Sending for ever. Hangfire runs their job again once its invisibility
    /// timeout passes, and the job's claim then succeeds at once. (Another machine's are taken over by their job the same
    /// way once the claim is older than <see cref="DeliveryJob.StaleClaim"/>.)
    /// </summary>
    /// <returns>How many deliveries it put back.</returns>
    public async Task<int> ReleaseInterruptedAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var sending = await db.Deliveries.AsNoTracking()
            .Where(d => d.Status == DeliveryStatus.Sending && d.ClaimedBy != null)
            .Select(d => new { d.Id, d.Kind, d.Attempts, d.AttemptStartedAt, d.ClaimedBy, d.CreatedAt })
            .ToListAsync(cancellationToken);
        var released = 0;
        foreach (var delivery in sending.Where(d => WorkerProcess.HasEnded(d.ClaimedBy, d.AttemptStartedAt ?? d.CreatedAt)))
        {
            var now = time.GetUtcNow();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            // Only the attempt that was looked at: a live worker may have claimed it again since.
            var changed = await db.Deliveries
                .Where(d => d.Id == delivery.Id && d.Status == DeliveryStatus.Sending && d.AttemptStartedAt == delivery.AttemptStartedAt)
                .ExecuteUpdateAsync(update => update
                    .SetProperty(d => d.Status, DeliveryStatus.Retrying)
                    .SetProperty(d => d.LastResponseCode, (int?)null)
                    .SetProperty(d => d.LastError, ProcessEndedDuringAttempt), cancellationToken);
            if (changed == 0)
            {
                continue;
            }

            db.DeliveryAttempts.Add(new DeliveryAttempt
            {
                Id = Guid.NewGuid(),
                DeliveryId = delivery.Id,
                Number = delivery.Attempts,
                StartedAt = delivery.AttemptStartedAt ?? now,
                FinishedAt = now,
                Succeeded = false,
                Error = ProcessEndedDuringAttempt,
            });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            metrics.DeliveryEnded(delivery.Kind, DeliveryOutcome.Interrupted);
            logger.LogWarning("Delivery {DeliveryId} was left Sending by {ClaimedBy}, which has ended; it is retried", delivery.Id, delivery.ClaimedBy);
            released++;
        }

        return released;
    }

    /// <summary>
    /// Marks Failed the unfinished deliveries whose job can no longer deliver them: deleted in the job
    /// dashboard, expired, or failed in Hangfire without the delivery hearing of it (a worker stopped
    /// between Hangfire's decision and ours). Without this they would say "Retrying" for ever.
    /// </summary>
    public async Task<int> ReconcileAsync(CancellationToken cancellationToken)
    {
        var before = time.GetUtcNow() - ReconcileAfter;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var unfinished = await db.Deliveries
            .Where(d => (d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Retrying || d.Status == DeliveryStatus.Sending)
                && d.JobId != null && d.CreatedAt < before)
            .OrderBy(d => d.CreatedAt)
            .Take(200)
            .ToListAsync(cancellationToken);
        if (unfinished.Count == 0)
        {
            return 0;
        }

        var ended = new List<Delivery>();
        using var connection = storage.GetConnection();
        foreach (var delivery in unfinished)
        {
            var state = connection.GetStateData(delivery.JobId);
            var reason = state?.Name switch
            {
                null => "Its job no longer exists in Hangfire (deleted or expired).",
                "Deleted" => "Its job was deleted in the job dashboard.",
                "Failed" => $"Its job failed in Hangfire and is not retried automatically: {state.Reason}",
                "Succeeded" => "Its job ended without finishing the delivery.",
                _ => null,
            };
            if (reason is null)
            {
                continue;
            }

            delivery.Status = DeliveryStatus.Failed;
            delivery.LastError = StoredText.Clip(delivery.LastError is null ? reason : $"{delivery.LastError} {reason}", DeliveryJob.MaxErrorLength);
            delivery.CompletedAt = time.GetUtcNow();
            ended.Add(delivery);
        }

        await db.SaveChangesAsync(cancellationToken);
        foreach (var delivery in ended)
        {
            metrics.DeliveryEnded(delivery.Kind, DeliveryOutcome.Failed);
        }

        if (ended.Count > 0)
        {
            logger.LogWarning("{Count} deliveries marked Failed: their Hangfire jobs were deleted, expired or failed", ended.Count);
        }

        return ended.Count;
    }
}
