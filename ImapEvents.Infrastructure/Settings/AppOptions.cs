namespace ImapEvents.Infrastructure.Settings;

/// <summary>The "App" section: how this instance runs and the address users reach it at.</summary>
public sealed class AppOptions : ICheckedSettings
{
    public const string SectionName = "App";

    /// <summary>A worker runs the checks and deliveries of a cluster and serves no UI.</summary>
    public bool WorkerOnly { get; set; }

    /// <summary>The address users type (https://imapevents.example.com): links in notifications and the setup link use it.</summary>
    public string? PublicUrl { get; set; }

    /// <inheritdoc/>
    public IReadOnlyList<string> Problems() =>
        string.IsNullOrWhiteSpace(PublicUrl)
        || Uri.TryCreate(PublicUrl, UriKind.Absolute, out var address) && address.Scheme is "http" or "https" && address.Query.Length == 0 && address.Fragment.Length == 0
            ? []
            // Else every {IncidentUrl} and setup link would be built on it, and lead nowhere.
            : [$"App__PublicUrl is \"{PublicUrl}\", which is not an address such as https://imapevents.example.com."];
}
