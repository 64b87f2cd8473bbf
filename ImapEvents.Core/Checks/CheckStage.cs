using ImapEvents.Core.Events;

namespace ImapEvents.Core.Checks;

/// <summary>The stages of one mailbox check, in order. The stage a check fails in decides its event.</summary>
public enum CheckStage
{
    Connect = 1,
    Authenticate = 2,
    Download = 3,
    Import = 4,
}

public enum CheckOutcome
{
    Succeeded = 1,
    Failed = 2,

    /// <summary>Stopped by a shutdown before it finished; raises no event, the next check runs as usual.</summary>
    Interrupted = 3,
}

/// <summary>What went wrong, finer than the event type: what an administrator needs to know to fix it.</summary>
public enum CheckErrorKind
{
    None = 0,
    HostNotFound = 1,
    ConnectionRefused = 2,
    Timeout = 3,
    TlsHandshake = 4,
    Network = 5,
    Protocol = 6,
    CredentialsRejected = 7,
    AuthenticationMechanism = 8,
    FolderNotFound = 9,
    CommandFailed = 10,
    MessageTooLarge = 11,
    InvalidMessage = 12,
    Database = 13,
    ServerUpdate = 14,
    Unexpected = 15,
    PasswordUnreadable = 16,

    /// <summary>The server sent more than a step may read (an endless greeting or line, a message larger than it said).</summary>
    TooMuchData = 17,
}

public static class CheckStageFacts
{
    public static ImapEventType EventType(this CheckStage stage) => stage switch
    {
        CheckStage.Connect => ImapEventType.ConnectionFailed,
        CheckStage.Authenticate => ImapEventType.LoginFailed,
        CheckStage.Download => ImapEventType.DownloadFailed,
        CheckStage.Import => ImapEventType.ImportFailed,
    };

    public static string DisplayName(this CheckStage stage) => stage switch
    {
        CheckStage.Connect => "Connect",
        CheckStage.Authenticate => "Log in",
        CheckStage.Download => "Download",
        CheckStage.Import => "Import",
    };

    public static string DisplayName(this CheckErrorKind kind) => kind switch
    {
        CheckErrorKind.None => "None",
        CheckErrorKind.HostNotFound => "Host not found",
        CheckErrorKind.ConnectionRefused => "Connection refused",
        CheckErrorKind.Timeout => "Timed out",
        CheckErrorKind.TlsHandshake => "TLS handshake failed",
        CheckErrorKind.Network => "Network error",
        CheckErrorKind.Protocol => "IMAP protocol error",
        CheckErrorKind.CredentialsRejected => "Credentials rejected",
        CheckErrorKind.AuthenticationMechanism => "No usable login mechanism",
        CheckErrorKind.FolderNotFound => "Folder not found",
        CheckErrorKind.CommandFailed => "IMAP command failed",
        CheckErrorKind.MessageTooLarge => "Message too large",
        CheckErrorKind.InvalidMessage => "Invalid message",
        CheckErrorKind.Database => "Database error",
        CheckErrorKind.ServerUpdate => "Server update failed",
        CheckErrorKind.Unexpected => "Unexpected error",
        CheckErrorKind.PasswordUnreadable => "Stored password unreadable",
        CheckErrorKind.TooMuchData => "Server sent too much",
    };
}
