using ImapEvents.Core.Email;

namespace ImapEvents.Core.Notifications;

/// <summary>
/// A user's personal notification profile: where "Use My Notification Profile" reaches them. SMS
/// addresses are email-to-SMS gateway addresses (like 5551234567@sms.example-carrier.com) and get a
/// one-line text, as phones show it.
/// </summary>
public sealed class NotificationProfile
{
    public string UserId { get; set; } = "";

    /// <summary>Addresses split by commas, semicolons or lines.</summary>
    public string? EmailAddresses { get; set; }

    public string? SmsAddresses { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public bool IsEmpty => Email.EmailAddresses.Split(EmailAddresses).Count == 0 && Email.EmailAddresses.Split(SmsAddresses).Count == 0;
}

public static class NotificationProfileValidation
{
    public const string EmailAddresses = "Email Addresses";
    public const string SmsAddresses = "SMS Addresses";

    /// <summary>What an SMS carries: gateways cut longer texts.</summary>
    public const int SmsLength = 160;

    public static IReadOnlyDictionary<string, string> Validate(NotificationProfile profile)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Problem(profile.EmailAddresses) is { } emailProblem)
        {
            errors[EmailAddresses] = emailProblem;
        }

        if (Problem(profile.SmsAddresses) is { } smsProblem)
        {
            errors[SmsAddresses] = smsProblem;
        }

        return errors;
    }

    /// <summary>Empty is fine here (a profile may use only one of the two lists).</summary>
    private static string? Problem(string? addresses) =>
        Email.EmailAddresses.Split(addresses).Count == 0 ? null : Email.EmailAddresses.ListProblem(addresses);
}
