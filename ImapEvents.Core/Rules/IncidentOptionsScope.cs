using ImapEvents.Core.Events;

namespace ImapEvents.Core.Rules;

/// <summary>
/// Which incident options of a rule its event type can use. Only the four failures open or continue an
/// incident; IMAP Recovered ends one (so only its number of failed checks means something); Certificate
/// Expiring and Mailbox Stale belong to none.
/// </summary>
public static class IncidentOptionsScope
{
    /// <summary>Fire after N consecutive failures: failed checks so far, or for IMAP Recovered those of the incident that closed.</summary>
    public static bool HasFailureCount(this ImapEventType type) => type.IsFailure() || type == ImapEventType.Recovered;

    /// <summary>Notify once per incident, Also notify on recovery, Group by server, Escalate after M minutes.</summary>
    public static bool HasIncidentOptions(this ImapEventType type) => type.IsFailure();

    /// <summary>Why the event type shows fewer options, in the editor's words; null for a failure, which has them all.</summary>
    public static string? Limits(this ImapEventType type) => type switch
    {
        ImapEventType.ConnectionFailed or ImapEventType.LoginFailed or ImapEventType.DownloadFailed or ImapEventType.ImportFailed => null,
        ImapEventType.Recovered =>
            "IMAP Recovered is raised once, when an incident closes: there is nothing to notify once per incident, on recovery, by server or " +
            "by escalation. Fire after N keeps only incidents that lasted at least N failed checks, so a mailbox that fails once and recovers stays quiet.",
        ImapEventType.CertificateExpiring =>
            "IMAP Certificate Expiring is a warning raised at most once a day per mailbox, not a failed check, and belongs to no incident: the incident options do not apply.",
        ImapEventType.MailboxStale =>
            "IMAP Mailbox Stale is raised by a sweep when a mailbox's checks stop, not by a failed check, and belongs to no incident: the incident options do not apply.",
    };

    /// <summary>What validation says about an option the rule's event type cannot use (an import or an API call set it).</summary>
    internal static string DoesNotApply(ImapEventType type, string fix) =>
        $"Does not apply to {type.DisplayName()} rules: {fix}";
}
