using System.Net;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>
/// How one attempt ended. A failed one is retried unless it is <see cref="Permanent"/>; how often and when
/// is <see cref="DeliveryRetryPolicy"/>'s to say.
/// </summary>
public sealed record SendResult(bool Succeeded, int? ResponseCode, string? Error, bool Permanent = false)
{
    public static readonly SendResult Ok = new(true, null, null);

    /// <summary>The receiver refused the request itself (HTTP 4xx other than 408 and 429): sending it again rarely helps.</summary>
    public bool Rejected { get; init; }

    /// <summary>The receiver says the address is gone for good (HTTP 410): the action is disabled.</summary>
    public bool Gone { get; init; }

    /// <summary>When the receiver asked to be tried again (Retry-After on a 429 or 503), already capped.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public static SendResult Failed(string error, bool permanent = false) => new(false, null, error, permanent);

    /// <summary>
    /// 2xx is delivered; anything else failed, with what the receiver said and how it bears on the retries
    /// (Standard Webhooks: 410 stops them, Retry-After on 429 and 503 sets the next one's time).
    /// </summary>
    /// <param name="now">When the answer came, for a Retry-After given as a date.</param>
    /// <param name="maxRetryAfter">The longest wait a receiver may ask for.</param>
    public static async Task<SendResult> FromResponseAsync(HttpResponseMessage response, DateTimeOffset now, TimeSpan maxRetryAfter, CancellationToken cancellationToken)
    {
        var code = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return new SendResult(true, code, null);
        }

        if (code is >= 300 and < 400)
        {
            return new SendResult(false, code, $"The receiver redirected ({code}) to {response.Headers.Location}. Redirects are not followed, as they could lead anywhere: " +
                "point the action at the receiver's own address.");
        }

        var body = await ReadSnippetAsync(response, cancellationToken);
        var reason = response.ReasonPhrase ?? ((HttpStatusCode)code).ToString();
        var error = body.Length == 0 ? $"HTTP {code} {reason}" : $"HTTP {code} {reason}: {body}";
        if (code == (int)HttpStatusCode.Gone)
        {
            return new SendResult(false, code, error, Permanent: true) { Gone = true };
        }

        return new SendResult(false, code, error)
        {
            Rejected = DeliveryRetryPolicy.IsRejection(code),
            RetryAfter = DeliveryRetryPolicy.HonoursRetryAfter(code) ? DeliveryRetryPolicy.RetryAfter(response.Headers.RetryAfter, now, maxRetryAfter) : null,
        };
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
