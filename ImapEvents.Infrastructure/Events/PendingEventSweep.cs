using Hangfire;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Events;

/// <summary>
/// Evaluates the rules for events stored but never dispatched: a dispatch that failed, or a
/// process that stopped between storing an event and dispatching it. It also queues the deliveries whose
/// job was never queued, and ends those whose job is gone. Runs every minute.
/// </summary>
public sealed class PendingEventSweep(
    IDbContextFactory<AppDbContext> dbFactory,
    IImapEventDispatcher dispatcher,
    DeliveryQueue deliveryQueue,
    TimeProvider time,
    ILogger<PendingEventSweep> logger)
{
    public const string RecurringJobId = "dispatch-pending-events";

    /// <summary>Events younger than this are left to the check that raised them.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    public static void Schedule(IRecurringJobManager recurringJobs) =>
        recurringJobs.AddOrUpdate<PendingEventSweep>(RecurringJobId, JobQueues.Default, sweep => sweep.RunAsync(CancellationToken.None), Cron.Minutely());

    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    [AutomaticRetry(Attempts = 0)]
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var before = time.GetUtcNow() - Grace;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var pending = await db.Events.AsNoTracking()
            .Where(e => e.DispatchedAt == null && e.OccurredAt < before)
            .OrderBy(e => e.OccurredAt)
            .Take(500)
            .ToListAsync(cancellationToken);

        foreach (var imapEvent in pending)
        {
            try
            {
                await dispatcher.DispatchAsync(imapEvent, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One event that keeps failing must not hold back the others; it stays pending.
                logger.LogWarning(ex, "Rules for event {EventId} could not be evaluated; the next sweep retries", imapEvent.Id);
            }
        }

        if (pending.Count > 0)
        {
            logger.LogInformation("Dispatched {Count} event(s) whose rules had not been evaluated", pending.Count);
        }

        await deliveryQueue.EnqueueOrphansAsync(cancellationToken);
        await deliveryQueue.ReleaseInterruptedAsync(cancellationToken);
        await deliveryQueue.ReconcileAsync(cancellationToken);

        return pending.Count;
    }
}
