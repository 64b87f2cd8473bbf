using System.Net.Mail;

namespace ImapEvents.Web.Shared;

/// <summary>Checks the forms run before asking the server, so the person gets an answer next to the field at once.</summary>
public static class InputRules
{
    public static bool IsEmailAddress(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var trimmed = value.Trim();
        return MailAddress.TryCreate(trimmed, out var address)
            && address.Address == trimmed
            && address.Host.Contains('.', StringComparison.Ordinal);
    }
}
