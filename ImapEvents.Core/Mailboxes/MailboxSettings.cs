using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace ImapEvents.Core.Mailboxes;

/// <summary>What an administrator types into the mailbox form (which binds to it directly), before it is saved.</summary>
public sealed record MailboxSettings
{
    public string DisplayName { get; set; } = "";

    public string ServerName { get; set; } = "";

    public int? ServerPort { get; set; } = 993;

    public ConnectionSecurity Security { get; set; } = ConnectionSecurity.SslOnConnect;

    public bool AcceptUntrustedCertificate { get; set; }

    public string LoginUsername { get; set; } = "";

    /// <summary>Empty when editing means "keep the stored password".</summary>
    public string? Password { get; set; }

    public string Folder { get; set; } = "INBOX";

    public int? PollIntervalMinutes { get; set; } = 5;

    public bool Enabled { get; set; } = true;

    public AfterImport AfterImport { get; set; } = AfterImport.MarkSeen;

    public string? MoveToFolder { get; set; }

    public int? MaxMessageSizeKilobytes { get; set; } = 25 * 1024;

    public static MailboxSettings From(Mailbox mailbox) => new()
    {
        DisplayName = mailbox.DisplayName,
        ServerName = mailbox.ServerName,
        ServerPort = mailbox.ServerPort,
        Security = mailbox.Security,
        AcceptUntrustedCertificate = mailbox.AcceptUntrustedCertificate,
        LoginUsername = mailbox.LoginUsername,
        Password = null,
        Folder = mailbox.Folder,
        PollIntervalMinutes = mailbox.PollIntervalMinutes,
        Enabled = mailbox.Enabled,
        AfterImport = mailbox.AfterImport,
        MoveToFolder = mailbox.MoveToFolder,
        MaxMessageSizeKilobytes = mailbox.MaxMessageSizeKilobytes,
    };
}

/// <summary>The rules a mailbox must satisfy, with messages that say how to fix each field.</summary>
public static partial class MailboxRules
{
    public const int MaxPollIntervalMinutes = 24 * 60;
    public const int MaxMessageSizeLimitKilobytes = 1024 * 1024;

    /// <returns>Field name → message, empty when valid.</returns>
    public static IReadOnlyDictionary<string, string> Validate(MailboxSettings settings, bool isNew)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);

        if (string.IsNullOrWhiteSpace(settings.DisplayName))
        {
            errors[nameof(MailboxSettings.DisplayName)] = "Give the mailbox a name, like \"Support inbox\".";
        }
        else if (settings.DisplayName.Trim().Length > 200)
        {
            errors[nameof(MailboxSettings.DisplayName)] = "Use at most 200 characters.";
        }

        if (HostNameProblem(settings.ServerName) is { } hostProblem)
        {
            errors[nameof(MailboxSettings.ServerName)] = hostProblem;
        }

        if (settings.ServerPort is not (>= 1 and <= 65535))
        {
            errors[nameof(MailboxSettings.ServerPort)] = "Enter a port from 1 to 65535 (IMAP uses 143, IMAP over TLS 993).";
        }

        if (string.IsNullOrWhiteSpace(settings.LoginUsername))
        {
            errors[nameof(MailboxSettings.LoginUsername)] = "Enter the username ImapEvents logs in with.";
        }
        else if (settings.LoginUsername.Length > 320)
        {
            errors[nameof(MailboxSettings.LoginUsername)] = "Use at most 320 characters.";
        }

        if (isNew && string.IsNullOrEmpty(settings.Password))
        {
            errors[nameof(MailboxSettings.Password)] = "Enter the password of this account.";
        }

        if (FolderProblem(settings.Folder) is { } folderProblem)
        {
            errors[nameof(MailboxSettings.Folder)] = folderProblem;
        }

        if (settings.PollIntervalMinutes is not (>= 1 and <= MaxPollIntervalMinutes))
        {
            errors[nameof(MailboxSettings.PollIntervalMinutes)] = $"Enter a number of minutes from 1 to {MaxPollIntervalMinutes} (24 hours).";
        }
        else if (settings.PollIntervalMinutes > 60 && settings.PollIntervalMinutes % 60 != 0)
        {
            errors[nameof(MailboxSettings.PollIntervalMinutes)] = "Above 60 minutes, use whole hours (120, 180, …).";
        }

        if (settings.AfterImport == AfterImport.MoveToFolder)
        {
            if (FolderProblem(settings.MoveToFolder) is { } moveProblem)
            {
                errors[nameof(MailboxSettings.MoveToFolder)] = moveProblem;
            }
            else if (string.Equals(settings.MoveToFolder?.Trim(), settings.Folder.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                errors[nameof(MailboxSettings.MoveToFolder)] = "Choose a folder other than the one being imported from.";
            }
        }

        if (settings.MaxMessageSizeKilobytes is not (>= 1 and <= MaxMessageSizeLimitKilobytes))
        {
            errors[nameof(MailboxSettings.MaxMessageSizeKilobytes)] = $"Enter a size from 1 to {MaxMessageSizeLimitKilobytes.ToString(CultureInfo.InvariantCulture)} KB.";
        }

        return errors;
    }

    public static string? HostNameProblem(string? host, string server = "IMAP server", string example = "imap.example.com")
    {
        if (string.IsNullOrWhiteSpace(host))
        {
            return $"Enter the {server}'s host name, like {example}.";
        }

        var trimmed = host.Trim();
        if (IPAddress.TryParse(trimmed.Trim('[', ']'), out _))
        {
            return null;
        }

        if (trimmed.Length > 253 || !HostName().IsMatch(trimmed))
        {
            return $"Enter a host name like {example} or an IP address, without a scheme such as \"imap://\", a port or spaces.";
        }

        return null;
    }

    private static string? FolderProblem(string? folder)
    {
        if (string.IsNullOrWhiteSpace(folder))
        {
            return "Enter a folder name, like INBOX.";
        }

        if (folder.Length > 500 || folder.Any(char.IsControl))
        {
            return "A folder name has at most 500 characters and no control characters.";
        }

        return null;
    }

    [GeneratedRegex(@"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")]
    private static partial Regex HostName();
}
