using Hangfire;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ImapEvents.Infrastructure.Jobs;

/// <summary>Readiness: does Hangfire's job storage answer? (Its schema in PostgreSQL, where jobs are queued and taken.)</summary>
internal sealed class JobStorageHealthCheck(JobStorage storage) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // The servers' list: a real read of the schema, a few rows however many jobs there are. Hangfire's API is
            // synchronous: off the request's thread, and given up on when the check times out.
            await Task.Run(() => storage.GetMonitoringApi().Servers(), cancellationToken).WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever the storage throws (Npgsql's exceptions, Hangfire's own wrappers), the answer says only the reason.
            return HealthCheckResult.Unhealthy("unreachable", ex);
        }
    }
}
