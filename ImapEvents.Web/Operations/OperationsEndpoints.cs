using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ImapEvents.Web.Operations;

/// <summary>
/// /healthz, /readyz and /metrics: for load balancers, orchestrators and scrapers, so none needs a sign-in (the fallback
/// policy would ask for an administrator). Each says only what it must.
/// </summary>
public static class OperationsEndpoints
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";
    public const string MetricsPath = "/metrics";

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

        endpoints.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: scrape => scrape.Use(AdmitScrapeAsync), optionsName: null)
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

    private static async Task AdmitScrapeAsync(HttpContext context, RequestDelegate next)
    {
        var options = context.RequestServices.GetRequiredService<IOptionsMonitor<MetricsOptions>>().CurrentValue;
        switch (MetricsAccess.Decide(context.Connection.RemoteIpAddress, context.Request.Headers.Authorization, options.BearerToken))
        {
            case MetricsAccessDecision.Allowed:
                await next(context);
                break;
            case MetricsAccessDecision.Unauthorized:
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                break;
            case MetricsAccessDecision.Forbidden:
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("Metrics are served to this machine only, unless Metrics:BearerToken is set.");
                break;
        }
    }
}
