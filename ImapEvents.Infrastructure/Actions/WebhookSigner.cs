using System.Security.Cryptography;
using System.Text;
using ImapEvents.Core.Actions;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>
/// Standard Webhooks signatures: HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with the
/// secret's key bytes, sent as "v1,{base64}" in the webhook-signature header.
/// </summary>
public static class WebhookSigner
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    public static string Sign(string secret, string messageId, long timestamp, string body)
    {
        var key = ActionValidation.WebhookSecretKey(secret);
        var signed = Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.{body}");
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
    }
}
