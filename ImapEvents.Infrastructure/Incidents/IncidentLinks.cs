using Microsoft.Extensions.Configuration;

namespace ImapEvents.Infrastructure.Incidents;

/// <summary>
/// The address of an incident's page, for {IncidentUrl} in notifications: App:PublicUrl (what users type),
/// else the first address the app listens on, which is right for a machine reached on localhost.
/// </summary>
public sealed class IncidentLinks(IConfiguration configuration)
{
    private readonly string baseUrl = BaseUrl(configuration);

    public string For(Guid incidentId) => $"{baseUrl}/incidents/{incidentId}";

    private static string BaseUrl(IConfiguration configuration)
    {
        if (configuration["App:PublicUrl"] is { Length: > 0 } publicUrl)
        {
            return publicUrl.TrimEnd('/');
        }

        var listening = configuration["urls"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return listening is null
            ? "http://localhost"
            : listening.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)
                .Replace("[::]", "localhost", StringComparison.Ordinal)
                .Replace("://+", "://localhost", StringComparison.Ordinal)
                .Replace("://*", "://localhost", StringComparison.Ordinal)
                .TrimEnd('/');
    }
}
