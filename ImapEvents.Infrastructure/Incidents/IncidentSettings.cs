using ImapEvents.Infrastructure.Settings;

namespace ImapEvents.Infrastructure.Incidents;

/// <summary>The "Incidents" configuration section.</summary>
public sealed class IncidentSettings : ICheckedSettings
{
    public const string Section = "Incidents";

    /// <summary>IMAP Certificate Expiring is raised this many days before the server's certificate expires.</summary>
    public int CertificateWarningDays { get; set; } = 14;

    /// <summary>How long "Group by server" gathers failures before sending one notification.</summary>
    public TimeSpan GroupingWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A mailbox with no completed check for this many of its poll intervals raises IMAP Mailbox Stale.</summary>
    public int StaleAfterIntervals { get; set; } = 3;

    /// <inheritdoc/>
    public IReadOnlyList<string> Problems() => SettingRange.All(
        SettingRange.Check("Incidents__CertificateWarningDays", CertificateWarningDays, 1, 365),
        SettingRange.Check("Incidents__GroupingWindow", GroupingWindow, TimeSpan.Zero, TimeSpan.FromHours(1)),
        SettingRange.Check("Incidents__StaleAfterIntervals", StaleAfterIntervals, 2, 100));
}
