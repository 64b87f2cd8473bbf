using Hangfire;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>
/// Queues one Hangfire job per delivery, after the deliveries committed. A delivery whose job could not be
/// queued (PostgreSQL gone for a moment, the process stopped) stays Pending and the sweep queues it later.
/// </summary>
public sealed class DeliveryQueue(IBackgroundJobClient jobs, IDbContextFactory<AppDbContext> dbFactory, TimeProvider time, ILogger<DeliveryQueue> logger)
{
    /// <summary>Deliveries younger than this are left to the dispatcher that stored them.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    public async Task EnqueueAsync(IEnumerable<Guid> deliveryIds, CancellationToken cancellationToken)
    {
        foreach (var id in deliveryIds)
        {
            var jobId = jobs.Enqueue<DeliveryJob>(JobQueues.Actions, job => job.RunAsync(id, CancellationToken.None));
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var now = time.GetUtcNow();
            await db.Deliveries
                .Where(d => d.Id == id && d.EnqueuedAt == null)
                .ExecuteUpdateAsync(update => update.SetProperty(d => d.JobId, jobId).SetProperty(d => d.EnqueuedAt, now), cancellationToken);
        }
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
}
