using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace ImapEvents.Web.Operations;

/// <summary>Who may read /metrics (section "Metrics").</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>
    /// When set, /metrics answers any address that sends <c>Authorization: Bearer</c> with this token, and no request
    /// without it (loopback included). When empty, it answers loopback only, without a token.
    /// </summary>
    public string? BearerToken { get; set; }
}

public enum MetricsAccessDecision
{
    Allowed,

    /// <summary>A token is configured and the request did not send it: 401, with WWW-Authenticate: Bearer.</summary>
    Unauthorized,

    /// <summary>No token is configured and the request did not come from this machine: 403.</summary>
    Forbidden,
}

/// <summary>
/// Whether a scrape of /metrics is answered. The figures say how busy the installation is and how its deliveries fare,
/// nothing secret, but not for anyone on the network either.
/// </summary>
public static class MetricsAccess
{
    /// <param name="remoteAddress">The client's address after forwarded headers were applied: behind a reverse proxy on this
    /// machine, the address the proxy names in X-Forwarded-For, so a scrape relayed from outside is not taken for a local one.</param>
    /// <param name="authorization">The request's Authorization header, if any.</param>
    /// <param name="configuredToken">Metrics:BearerToken.</param>
    public static MetricsAccessDecision Decide(IPAddress? remoteAddress, string? authorization, string? configuredToken)
    {
        if (string.IsNullOrWhiteSpace(configuredToken))
        {
            return remoteAddress is not null && IPAddress.IsLoopback(remoteAddress.IsIPv4MappedToIPv6 ? remoteAddress.MapToIPv4() : remoteAddress)
                ? MetricsAccessDecision.Allowed
                : MetricsAccessDecision.Forbidden;
        }

        const string scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return MetricsAccessDecision.Unauthorized;
        }

        return SameSecret(authorization[scheme.Length..].Trim(), configuredToken.Trim()) ? MetricsAccessDecision.Allowed : MetricsAccessDecision.Unauthorized;
    }

    /// <summary>In constant time: hashing first makes the comparison's length, too, the same for every guess.</summary>
    private static bool SameSecret(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
