namespace ImapEvents.Core.Mailboxes;

/// <summary>One IMAP account that ImapEvents checks and imports from.</summary>
public sealed class Mailbox
{
    public Guid Id { get; set; }

    public string DisplayName { get; set; } = "";

    public string ServerName { get; set; } = "";

    public int ServerPort { get; set; } = 993;

    public ConnectionSecurity Security { get; set; } = ConnectionSecurity.SslOnConnect;

    /// <summary>Accept a certificate that fails validation (self-signed, wrong name). Shown as a warning.</summary>
    public bool AcceptUntrustedCertificate { get; set; }

    public string LoginUsername { get; set; } = "";

    /// <summary>The password, encrypted with Data Protection; opaque here and never shown again.</summary>
    public string ProtectedPassword { get; set; } = "";

    public string Folder { get; set; } = "INBOX";

    public int PollIntervalMinutes { get; set; } = 5;

    public bool Enabled { get; set; } = true;

    public AfterImport AfterImport { get; set; } = AfterImport.MarkSeen;

    public string? MoveToFolder { get; set; }

    public int MaxMessageSizeKilobytes { get; set; } = 25 * 1024;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Optimistic concurrency: two administrators editing at once do not overwrite each other silently.</summary>
    public uint Version { get; set; }
}
