using System.Net.Http.Headers;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>
/// How a delivery is retried, in one place: how many attempts it gets and when the next one runs. The
/// delivery's own attempt count (in PostgreSQL) is what counts, not Hangfire's retry counter, so an attempt
/// run by hand, by "Retry now" or after a database outage is counted once and exactly once.
/// </summary>
public static class DeliveryRetryPolicy
{
    /// <summary>Attempts a delivery gets when it fails for a reason that may pass: 5xx, a timeout, no connection, 408, 429.</summary>
    public const int MaxAttempts = 9;

    /// <summary>
    /// Attempts a delivery gets once the receiver refused the request itself (4xx other than 408 and 429):
    /// one more try covers a receiver that was being redeployed, more only fill its logs.
    /// </summary>
    public const int RejectedMaxAttempts = 2;

    /// <summary>The waits after attempt 1, 2, …: together about seven hours.</summary>
    public static readonly IReadOnlyList<TimeSpan> Backoff =
    [
        TimeSpan.FromSeconds(15), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15),
        TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4),
    ];

    /// <summary>An HTTP status by which the receiver refuses the request itself; 408 (timeout) and 429 (too many requests) are passing.</summary>
    public static bool IsRejection(int statusCode) => statusCode is >= 400 and < 500 and not (408 or 429);

    /// <summary>The statuses whose Retry-After is honoured, as Standard Webhooks asks.</summary>
    public static bool HonoursRetryAfter(int statusCode) => statusCode is 429 or 503;

    /// <summary>
    /// The wait a Retry-After header asks for, in either of its forms (seconds, or an HTTP date), cut to
    /// <paramref name="max"/>; null when there is none. A date in the past asks for no wait.
    /// </summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now, TimeSpan max)
    {
        var wait = header switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => (TimeSpan?)null,
        };
        return wait is { } value ? TimeSpan.FromTicks(Math.Clamp(value.Ticks, 0, max.Ticks)) : null;
    }

    /// <summary>How long to wait before the next attempt, or null when the delivery has had its attempts (or must not be retried).</summary>
    /// <param name="attemptsMade">The delivery's attempts so far, the one that just failed included.</param>
    public static TimeSpan? NextAttemptIn(int attemptsMade, SendResult result)
    {
        if (result.Succeeded || result.Permanent || attemptsMade >= (result.Rejected ? RejectedMaxAttempts : MaxAttempts))
        {
            return null;
        }

        return result.RetryAfter ?? Backoff[Math.Clamp(attemptsMade, 1, Backoff.Count) - 1];
    }
}
