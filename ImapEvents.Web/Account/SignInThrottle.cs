using System.Threading.RateLimiting;
using ImapEvents.Infrastructure.Settings;
using Microsoft.Extensions.Options;

namespace ImapEvents.Web.Account;

/// <summary>How many sign-in attempts are allowed in a window (Identity__SignInAttemptsPerAccount and the rest).</summary>
public sealed class SignInLimitOptions : ICheckedSettings
{
    public const string SectionName = "Identity";

    /// <summary>Attempts on one account (its email, however written), from anywhere.</summary>
    public int SignInAttemptsPerAccount { get; set; } = 10;

    /// <summary>Attempts from one client address, on any accounts.</summary>
    public int SignInAttemptsPerClient { get; set; } = 30;

    public TimeSpan SignInWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <inheritdoc/>
    public IReadOnlyList<string> Problems() => SettingRange.All(
        SettingRange.Check("Identity__SignInAttemptsPerAccount", SignInAttemptsPerAccount, 1, 10_000),
        SettingRange.Check("Identity__SignInAttemptsPerClient", SignInAttemptsPerClient, 1, 100_000),
        SettingRange.Check("Identity__SignInWindow", SignInWindow, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)));
}

/// <summary>
/// Caps sign-in attempts per account and per client address with ASP.NET Core's fixed-window rate limiters,
/// before any password is checked: the lockout stops guessing one account, this stops a flood of attempts
/// (and the password hashing each costs) on one account or from one place. Counted on each instance.
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    private readonly TimeSpan window;
    private readonly PartitionedRateLimiter<string> perClient;
    private readonly PartitionedRateLimiter<string> perAccount;

    public SignInThrottle(IOptions<SignInLimitOptions> options)
    {
        var limits = options.Value;
        window = limits.SignInWindow;
        perClient = FixedWindow(limits.SignInAttemptsPerClient, window);
        perAccount = FixedWindow(limits.SignInAttemptsPerAccount, window);
    }

    /// <returns>Null when the attempt may go ahead; otherwise how long until it may.</returns>
    public TimeSpan? TryAttempt(string? clientAddress, string normalizedAccount) =>
        Refused(perClient, clientAddress ?? "unknown") ?? Refused(perAccount, normalizedAccount);

    /// <summary>What the sign-in page says instead of checking the password.</summary>
    public static string Message(TimeSpan retryAfter)
    {
        var seconds = Seconds(retryAfter);
        return $"Too many sign-in attempts. Try again in {seconds} {(seconds == 1 ? "second" : "seconds")}.";
    }

    public static int Seconds(TimeSpan retryAfter) => Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));

    public void Dispose()
    {
        perClient.Dispose();
        perAccount.Dispose();
    }

    private TimeSpan? Refused(PartitionedRateLimiter<string> limiter, string key)
    {
        using var lease = limiter.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : window;
    }

    private static PartitionedRateLimiter<string> FixedWindow(int permits, TimeSpan window) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = window,
            QueueLimit = 0,
        }));
}
