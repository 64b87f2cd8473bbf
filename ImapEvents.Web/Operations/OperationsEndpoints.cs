using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ImapEvents.Web.Operations;

/// <summary>
/// /healthz and /readyz: for load balancers and orchestrators, so neither needs a sign-in (the fallback policy would
/// ask for an administrator). Each says only what it must.
/// </summary>
public static class OperationsEndpoints
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";

    public static IEndpointRouteBuilder MapOperationsEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Alive: the process answers. No check runs, so an outage of PostgreSQL never makes an orchestrator restart
        // instances that would only wait for it again; /readyz says whether this one can work.
        endpoints.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = _ => false })
            .AllowAnonymous()
            .DisableHttpMetrics();

        endpoints.MapHealthChecks(ReadinessPath, new HealthCheckOptions
            {
                Predicate = check => check.Tags.Contains(Infrastructure.DependencyInjection.ReadinessTag),
                ResponseWriter = WriteReadinessAsync,
            })
            .AllowAnonymous()
            .DisableHttpMetrics();

        return endpoints;
    }

    /// <summary>"Healthy", or "Unhealthy: " and each failing check's short reason. Never an exception's text or a connection detail.</summary>
    private static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var failing = report.Entries.Where(entry => entry.Value.Status != HealthStatus.Healthy).Select(entry => $"{entry.Key}: {Reason(entry.Value)}").ToList();
        return context.Response.WriteAsync(failing.Count == 0 ? report.Status.ToString() : $"{report.Status}: {string.Join("; ", failing)}");
    }

    private static string Reason(HealthReportEntry entry) =>
        entry.Exception is OperationCanceledException ? "timed out"
        // A check that threw has the exception's message as its description: not for an anonymous answer.
        : entry.Description is null || entry.Exception?.Message == entry.Description ? "failed"
        : entry.Description;
}
