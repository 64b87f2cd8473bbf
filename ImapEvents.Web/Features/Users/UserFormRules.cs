using ImapEvents.Web.Shared;

namespace ImapEvents.Web.Features.Users;

/// <summary>What the user dialogs check before asking the server (which checks again).</summary>
public static class UserFormRules
{
    public const int MinimumPasswordLength = 12;

    public static IReadOnlyDictionary<string, string> NewUser(string email, string password)
    {
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!InputRules.IsEmailAddress(email))
        {
            problems["Email"] = "Enter a valid email address, like agent@example.com.";
        }

        foreach (var (field, message) in NewPassword("Password", password))
        {
            problems[field] = message;
        }

        return problems;
    }

    public static IReadOnlyDictionary<string, string> NewPassword(string field, string password) =>
        password.Length < MinimumPasswordLength
            ? new Dictionary<string, string> { [field] = $"Use at least {MinimumPasswordLength} characters." }
            : new Dictionary<string, string>();
}
