using System.Security.Cryptography;
using ImapEvents.Core.Actions;
using Microsoft.AspNetCore.DataProtection;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>Webhook signing secrets: generated in the Standard Webhooks form, kept only as Data Protection ciphertext.</summary>
public sealed class WebhookSecrets(IDataProtectionProvider dataProtection)
{
    private readonly IDataProtector protector = dataProtection.CreateProtector("ImapEvents.Actions.WebhookSecret.v1");

    /// <summary>"whsec_" and 32 random bytes in base64, the form Standard Webhooks libraries read.</summary>
    public static string Generate() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string Protect(string secret) => protector.Protect(secret.Trim());

    /// <returns>Null when the key ring no longer holds the key it was protected with.</returns>
    public string? TryUnprotect(string protectedSecret)
    {
        try
        {
            return protector.Unprotect(protectedSecret);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>Turns every secret typed into these actions into ciphertext, so no clear secret is stored.</summary>
    public void ProtectNewSecrets(IEnumerable<RuleAction> actions)
    {
        foreach (var action in actions)
        {
            if (action.Kind == ActionKind.CallWebhook && !string.IsNullOrWhiteSpace(action.NewSecret))
            {
                action.ProtectedSecret = Protect(action.NewSecret);
            }

            action.NewSecret = null;
            if (action.Kind != ActionKind.CallWebhook)
            {
                action.ProtectedSecret = null;
            }
        }
    }
}
