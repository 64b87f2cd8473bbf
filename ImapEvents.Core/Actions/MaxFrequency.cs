namespace ImapEvents.Core.Actions;

/// <summary>Where an action's max-frequency window stands: when the last delivery opened it, and what it held back since.</summary>
public readonly record struct ThrottleState(DateTimeOffset? WindowStartedAt, int Suppressed);

/// <param name="Deliver">True to deliver this firing; false to count it as suppressed.</param>
/// <param name="SuppressedBefore">When delivering: how many firings the window before held back ({SuppressedCount}).</param>
/// <param name="Next">The state to store.</param>
public readonly record struct ThrottleDecision(bool Deliver, int SuppressedBefore, ThrottleState Next);

/// <summary>
/// The max-frequency policy: at most one delivery per window; firings inside it are counted, and the
/// next delivery reports the count. Infrastructure applies it under a row lock, so it holds across instances.
/// </summary>
public static class MaxFrequency
{
    public static readonly TimeSpan Shortest = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan Longest = TimeSpan.FromDays(7);

    /// <summary>The choices the editor offers (any whole number of minutes in range is accepted on import).</summary>
    public static readonly IReadOnlyList<TimeSpan> Presets =
    [
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(1), TimeSpan.FromHours(4), TimeSpan.FromHours(12), TimeSpan.FromDays(1),
    ];

    public static ThrottleDecision Decide(ThrottleState state, TimeSpan? maxFrequency, DateTimeOffset now)
    {
        var windowOpen = maxFrequency is { } span
            && state.WindowStartedAt is { } started
            // A clock behind the one that opened the window (another instance) still counts as inside it.
            && now < started + span;
        return windowOpen
            ? new ThrottleDecision(false, 0, state with { Suppressed = state.Suppressed + 1 })
            : new ThrottleDecision(true, state.Suppressed, new ThrottleState(now, 0));
    }

    public static string Describe(TimeSpan? maxFrequency) => maxFrequency switch
    {
        null => "Every time",
        { TotalDays: >= 1 } d when d.TotalDays % 1 == 0 => d.TotalDays == 1 ? "At most once a day" : $"At most once every {d.TotalDays:0} days",
        { TotalHours: >= 1 } h when h.TotalHours % 1 == 0 => h.TotalHours == 1 ? "At most once an hour" : $"At most once every {h.TotalHours:0} hours",
        { } m => m.TotalMinutes == 1 ? "At most once a minute" : $"At most once every {m.TotalMinutes:0} minutes",
    };
}
