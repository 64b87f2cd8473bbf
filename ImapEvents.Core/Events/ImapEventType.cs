namespace ImapEvents.Core.Events;

/// <summary>The four events a failed mailbox check can raise, one per check stage.</summary>
public enum ImapEventType
{
    ConnectionFailed = 1,
    LoginFailed = 2,
    DownloadFailed = 3,
    ImportFailed = 4,
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
    };
}
