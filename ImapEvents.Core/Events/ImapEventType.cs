namespace ImapEvents.Core.Events;

/// <summary>
/// The four events a failed mailbox check can raise, one per check stage (the source feature's), and the
/// three ImapEvents adds on top: an incident's end, a certificate about to expire, a mailbox no check reaches.
/// </summary>
public enum ImapEventType
{
    ConnectionFailed = 1,
    LoginFailed = 2,
    DownloadFailed = 3,
    ImportFailed = 4,

    /// <summary>A failing mailbox's check succeeded again: its incident closed.</summary>
    Recovered = 5,

    /// <summary>The server's TLS certificate expires within the warning period; raised once a day per mailbox.</summary>
    CertificateExpiring = 6,

    /// <summary>No check of the mailbox completed for several of its intervals (raised by a sweep, not a check).</summary>
    MailboxStale = 7,
}

public static class ImapEventTypeNames
{
    /// <summary>The names administrators know from the source feature.</summary>
    public static string DisplayName(this ImapEventType type) => type switch
    {
        ImapEventType.ConnectionFailed => "IMAP Connection Failed",
        ImapEventType.LoginFailed => "IMAP Login Failed",
        ImapEventType.DownloadFailed => "IMAP Download Failed",
        ImapEventType.ImportFailed => "IMAP Import Failed",
        ImapEventType.Recovered => "IMAP Recovered",
        ImapEventType.CertificateExpiring => "IMAP Certificate Expiring",
        ImapEventType.MailboxStale => "IMAP Mailbox Stale",
    };

    /// <summary>The four events of a failed check, each one failed check of an incident.</summary>
    public static bool IsFailure(this ImapEventType type) => type is >= ImapEventType.ConnectionFailed and <= ImapEventType.ImportFailed;
}
