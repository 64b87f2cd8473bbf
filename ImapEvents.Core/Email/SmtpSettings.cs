using System.Net.Mail;
using ImapEvents.Core.Mailboxes;

namespace ImapEvents.Core.Email;

/// <summary>The SMTP server Send Email (and every email the app sends) goes through; one per installation.</summary>
public sealed class SmtpSettings
{
    public int Id { get; set; } = 1;

    public string Host { get; set; } = "";

    public int Port { get; set; } = 587;

    public ConnectionSecurity Security { get; set; } = ConnectionSecurity.StartTls;

    /// <summary>Empty: the server takes mail without authentication (a relay inside the network).</summary>
    public string? Username { get; set; }

    /// <summary>Protected by Infrastructure; never shown again.</summary>
    public string? ProtectedPassword { get; set; }

    public string FromAddress { get; set; } = "";

    public string? FromName { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public string? UpdatedBy { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Host) && !string.IsNullOrWhiteSpace(FromAddress);
}

/// <summary>What the Settings page's SMTP form must satisfy; keys are its labels.</summary>
public static class SmtpSettingsValidation
{
    public const string Host = "SMTP Server";
    public const string Port = "SMTP Port";
    public const string Username = "Username";
    public const string Password = "Password";
    public const string FromAddress = "From Address";
    public const string FromName = "From Name";

    public const string PasswordForAnotherServer =
        "Enter the password again: the stored one is only sent to the server and username it was saved for.";

    /// <summary>
    /// The form as it would be stored over <paramref name="stored"/>: trimmed, and keeping the stored
    /// password only for the same server, port, security and username. Saving and "Send test email" both use it.
    /// </summary>
    /// <param name="newPassword">A password typed now; null or empty keeps the stored one where it may.</param>
    public static (SmtpSettings Settings, IReadOnlyDictionary<string, string> Errors) Revise(SmtpSettings stored, SmtpSettings draft, string? newPassword)
    {
        var username = string.IsNullOrWhiteSpace(draft.Username) ? null : draft.Username.Trim();
        var sameServer = string.Equals(stored.Host, draft.Host.Trim(), StringComparison.OrdinalIgnoreCase)
            && stored.Port == draft.Port && stored.Security == draft.Security && string.Equals(stored.Username, username, StringComparison.Ordinal);
        var settings = new SmtpSettings
        {
            Host = draft.Host.Trim(),
            Port = draft.Port,
            Security = draft.Security,
            Username = username,
            ProtectedPassword = sameServer && username is not null ? stored.ProtectedPassword : null,
            FromAddress = draft.FromAddress.Trim(),
            FromName = string.IsNullOrWhiteSpace(draft.FromName) ? null : draft.FromName.Trim(),
        };
        var errors = new Dictionary<string, string>(Validate(settings, newPassword), StringComparer.Ordinal);
        if (!sameServer && username is not null && string.IsNullOrEmpty(newPassword) && stored.ProtectedPassword is not null)
        {
            errors[Password] = PasswordForAnotherServer;
        }

        return (settings, errors);
    }

    /// <param name="newPassword">A password typed now; null keeps the stored one.</param>
    public static IReadOnlyDictionary<string, string> Validate(SmtpSettings settings, string? newPassword)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (MailboxRules.HostNameProblem(settings.Host, "SMTP server", "smtp.example.com") is { } hostProblem)
        {
            errors[Host] = hostProblem;
        }

        if (settings.Port is < 1 or > 65535)
        {
            errors[Port] = "Enter a port from 1 to 65535 (587 for STARTTLS, 465 for SSL/TLS on connect, 25 for a relay).";
        }

        if (!Enum.IsDefined(settings.Security))
        {
            errors["Connection Security"] = "Choose how the connection is secured.";
        }

        if (settings.Username is { Length: > 320 })
        {
            errors[Username] = "Use at most 320 characters.";
        }

        var hasPassword = !string.IsNullOrEmpty(newPassword) || !string.IsNullOrEmpty(settings.ProtectedPassword);
        if (!string.IsNullOrWhiteSpace(settings.Username) && !hasPassword)
        {
            errors[Password] = "Enter the password for this username, or clear the username for a server without sign-in.";
        }

        if (EmailAddresses.Problem(settings.FromAddress) is { } fromProblem)
        {
            errors[FromAddress] = fromProblem;
        }

        if (settings.FromName is { } name && (name.Length > 200 || name.Contains('\n', StringComparison.Ordinal) || name.Contains('\r', StringComparison.Ordinal)))
        {
            errors[FromName] = "Use one line of at most 200 characters.";
        }

        return errors;
    }
}

/// <summary>Email addresses as administrators type them: one, or a list split by commas, semicolons or lines.</summary>
public static class EmailAddresses
{
    public const int MaxRecipients = 50;

    public static IReadOnlyList<string> Split(string? text) =>
        (text ?? "").Split([',', ';', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <returns>Null for a plain address such as ops@example.com; otherwise what is wrong.</returns>
    public static string? Problem(string? address)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            return "Enter an email address, like alerts@example.com.";
        }

        var trimmed = address.Trim();
        return trimmed.Length <= 254
            && MailAddress.TryCreate(trimmed, out var parsed)
            && parsed.Address == trimmed
            && parsed.Host.Contains('.', StringComparison.Ordinal)
            ? null
            : $"\"{trimmed}\" is not an email address; write it like alerts@example.com.";
    }

    /// <returns>Null when the list holds 1 to <see cref="MaxRecipients"/> valid addresses; otherwise what is wrong.</returns>
    public static string? ListProblem(string? text)
    {
        var addresses = Split(text);
        if (addresses.Count == 0)
        {
            return "Enter at least one address, like oncall@example.com; separate several with commas.";
        }

        if (addresses.Count > MaxRecipients)
        {
            return $"Use at most {MaxRecipients} addresses; a mailing list address reaches more.";
        }

        return addresses.Select(Problem).FirstOrDefault(p => p is not null);
    }
}
