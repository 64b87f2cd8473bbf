using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ImapEvents.Infrastructure.Persistence;

/// <summary>
/// Readiness: has the database every migration this build knows? (Another instance may still be migrating, or this
/// build is newer than the instance that migrated.) A singleton, so that once all are applied it never asks again:
/// migrations are not taken back.
/// </summary>
internal sealed class MigrationsHealthCheck(IDbContextFactory<AppDbContext> dbFactory) : IHealthCheck
{
    private volatile bool allApplied;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (allApplied)
        {
            return HealthCheckResult.Healthy();
        }

        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            if ((await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any())
            {
                return HealthCheckResult.Unhealthy("pending");
            }

            allApplied = true;
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("not known (database unreachable)", ex);
        }
    }
}
