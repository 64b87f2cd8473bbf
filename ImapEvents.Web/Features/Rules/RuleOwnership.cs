using ImapEvents.Infrastructure.Rules;

namespace ImapEvents.Web.Features.Rules;

/// <summary>
/// How the Rules page and the editor show a rule's owner. Use My Notification Profile delivers only to an
/// enabled administrator, so a rule whose owner was demoted, disabled or deleted needs a new owner.
/// </summary>
internal static class RuleOwnership
{
    public const string NeedsNewOwner = "Needs a new owner";

    public static bool NeedsReplacing(IReadOnlyDictionary<string, RuleOwner> owners, string ownerId) =>
        owners.GetValueOrDefault(ownerId) is not { IsEnabledAdministrator: true };

    public static string Describe(IReadOnlyDictionary<string, RuleOwner> owners, string ownerId) => owners.GetValueOrDefault(ownerId) switch
    {
        null => "(deleted user)",
        { IsEnabledAdministrator: true } owner => owner.Email,
        var owner => $"{owner.Email} (no longer an enabled administrator)",
    };

    /// <summary>Why a rule needs a new owner, for the editor.</summary>
    public static string Why(IReadOnlyDictionary<string, RuleOwner> owners, string ownerId) =>
        (owners.GetValueOrDefault(ownerId) is { } owner ? $"Its owner, {owner.Email}, is no longer an enabled administrator" : "Its owner's account was deleted")
        + ", so Use My Notification Profile in this rule sends nothing. Take ownership to have it reach your profile.";
}
