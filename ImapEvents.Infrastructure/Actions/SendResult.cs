using System.Net;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>How one attempt ended. A failed one is retried unless it is <see cref="Permanent"/>.</summary>
public sealed record SendResult(bool Succeeded, int? ResponseCode, string? Error, bool Permanent = false)
{
    public static readonly SendResult Ok = new(true, null, null);

    public static SendResult Failed(string error, bool permanent = false) => new(false, null, error, permanent);

    /// <summary>2xx is delivered; anything else is retried, with what the receiver said.</summary>
    public static async Task<SendResult> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var code = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return new SendResult(true, code, null);
        }

        if (code is >= 300 and < 400)
        {
            return new SendResult(false, code, $"The receiver redirected ({code}) to {response.Headers.Location}; use that address instead.");
        }

        var body = await ReadSnippetAsync(response, cancellationToken);
        var reason = response.ReasonPhrase ?? ((HttpStatusCode)code).ToString();
        return new SendResult(false, code, body.Length == 0 ? $"HTTP {code} {reason}" : $"HTTP {code} {reason}: {body}");
    }

    /// <summary>The most of an error body that is read: what a receiver sends is outside our control.</summary>
    public const int SnippetBytes = 4096;

    private static async Task<string> ReadSnippetAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // Only the start of the body, whatever its length (a hostile or broken receiver may send gigabytes,
        // or never stop); disposing the response then drops the connection with the rest unread.
        var buffer = new byte[SnippetBytes];
        var read = 0;
        await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
        {
            int count;
            while (read < buffer.Length && (count = await body.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
            {
                read += count;
            }
        }

        var text = System.Text.Encoding.UTF8.GetString(buffer, 0, read).ReplaceLineEndings(" ").Trim();
        return text.Length > 300 ? text[..300] + "…" : text;
    }
}
