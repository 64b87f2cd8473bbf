namespace ImapEvents.Infrastructure.Outbound;

/// <summary>Where action requests (Call Web Page, Call Webhook, external providers and their Test buttons) may go.</summary>
public sealed class OutboundOptions
{
    public const string SectionName = "Outbound";

    /// <summary>
    /// Also refuse loopback, RFC 1918, CGNAT and unique-local addresses. Off by default: self-hosted
    /// receivers often live on the internal network.
    /// </summary>
    public bool DenyPrivateNetworks { get; set; }

    /// <summary>
    /// Host names (or IP addresses) that may be called, separated by semicolons or commas, as ASP.NET Core's
    /// own AllowedHosts; "*.example.com" allows its subdomains. Empty allows every host.
    /// </summary>
    public string? AllowedHosts { get; set; }

    public IReadOnlyList<string> AllowedHostList =>
        (AllowedHosts ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(host => host.Trim('[', ']'))
            .ToList();
}
