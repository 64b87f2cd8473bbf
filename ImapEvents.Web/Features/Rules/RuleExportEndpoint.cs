using System.Globalization;
using System.Text;
using ImapEvents.Infrastructure.Rules;

namespace ImapEvents.Web.Features.Rules;

internal static class RuleExportEndpoint
{
    public const string Path = "/rules/export";

    /// <summary>The rules as a JSON file; administrators only, like everything without [AllowAnonymous].</summary>
    public static IEndpointRouteBuilder MapRuleExport(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, async (RuleAdministration rules, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var json = await rules.ExportAsync(cancellationToken);
            var name = $"imapevents-rules-{time.GetUtcNow().ToString("yyyyMMdd-HHmm", CultureInfo.InvariantCulture)}.json";
            return Results.File(Encoding.UTF8.GetBytes(json), "application/json", name);
        });
        return endpoints;
    }
}
