using System.Security.Cryptography;
using ImapEvents.Core.Actions;
using Microsoft.AspNetCore.DataProtection;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>
/// URLs of Call Web Page and Call Webhook that hold a key (<see cref="UrlCredentials"/>): the whole URL is kept
/// only as Data Protection ciphertext, and the action's Url shows each key masked, so the database, exports,
/// the history and the editor never see the key again. Like a webhook signing secret, it is typed again rather
/// than shown.
/// </summary>
public sealed class ActionUrls(IDataProtectionProvider dataProtection)
{
    public const string KeyForAnotherUrl =
        "Type the whole URL again, with its key: a stored key is only sent to the URL it was entered with.";

    private readonly IDataProtector protector = dataProtection.CreateProtector("ImapEvents.Actions.UrlWithKey.v1");

    /// <summary>
    /// Before saving: a URL typed with its key is protected and masked. A masked URL keeps the protected URL
    /// the caller bound to it (the stored action's, while its URL is unchanged), or none.
    /// </summary>
    public void ProtectKeys(IEnumerable<RuleAction> actions)
    {
        foreach (var action in actions)
        {
            if (action.Kind is not (ActionKind.CallWebPage or ActionKind.CallWebhook) || string.IsNullOrWhiteSpace(action.Url))
            {
                action.ProtectedUrl = null;
                continue;
            }

            if (UrlCredentials.InClear(action.Url).Count > 0 && !UrlCredentials.HasMaskedKey(action.Url))
            {
                var url = action.Url.Trim();
                action.ProtectedUrl = protector.Protect(url);
                action.Url = UrlCredentials.Masked(url);
            }
            else if (!UrlCredentials.HasMaskedKey(action.Url))
            {
                action.ProtectedUrl = null;
            }
        }
    }

    /// <summary>Whether the action's URL cannot be called as stored: a key is masked and no protected URL goes with it.</summary>
    public static bool LacksItsKey(RuleAction action) =>
        action.Kind is ActionKind.CallWebPage or ActionKind.CallWebhook && UrlCredentials.HasMaskedKey(action.Url) && action.ProtectedUrl is null;

    /// <summary>
    /// The URL to call, keys included; null when the key is missing (not exported, key ring changed) or the
    /// protected URL was not entered for this masked URL, so a key never reaches another address.
    /// </summary>
    public string? UrlToCall(RuleAction action)
    {
        if (action.ProtectedUrl is null)
        {
            return UrlCredentials.HasMaskedKey(action.Url) ? null : action.Url ?? "";
        }

        try
        {
            var url = protector.Unprotect(action.ProtectedUrl);
            return UrlCredentials.Masked(url) == action.Url ? url : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
