using Hangfire;

namespace ImapEvents.Infrastructure.Jobs;

public sealed record JobSystemSummary(
    long Servers,
    long Enqueued,
    long Processing,
    long Scheduled,
    long Failed,
    long Succeeded,
    long Recurring);

/// <summary>The job system at a glance, for the home dashboard.</summary>
public sealed class JobSystemStatus(JobStorage storage)
{
    public Task<JobSystemSummary> GetSummaryAsync(CancellationToken cancellationToken) =>
        // Hangfire's monitoring API is synchronous; keep it off the circuit's thread.
        Task.Run(() =>
        {
            var stats = storage.GetMonitoringApi().GetStatistics();
            return new JobSystemSummary(
                stats.Servers, stats.Enqueued, stats.Processing, stats.Scheduled, stats.Failed, stats.Succeeded, stats.Recurring);
        }, cancellationToken);
}
