using ImapEvents.Infrastructure.Settings;

namespace ImapEvents.Infrastructure.Retention;

/// <summary>The "Retention" configuration section: how long history is kept, and how much one purge statement removes.</summary>
public sealed class RetentionOptions : ICheckedSettings
{
    public const string SectionName = "Retention";

    /// <summary>A century: enough for "keep everything", small enough that the cutoff stays a valid date.</summary>
    public const int MaxDays = 36_500;

    /// <summary>
    /// Events, checks, deliveries and their attempts, closed incidents and message bodies older than this many days are
    /// purged; finished one-off Hangfire jobs expire after as long. Absent means 90; 0 or less is refused at start rather
    /// than read as "never", so that a typo cannot quietly keep everything (set <see cref="MaxDays"/> for that).
    /// </summary>
    public int Days { get; set; } = 90;

    /// <summary>Rows one purge statement removes at most, each batch in its own short transaction.</summary>
    public int BatchSize { get; set; } = 5_000;

    public TimeSpan Period => TimeSpan.FromDays(Days);

    /// <inheritdoc/>
    public IReadOnlyList<string> Problems() => SettingRange.All(
        SettingRange.Check("Retention__Days", Days, 1, MaxDays),
        SettingRange.Check("Retention__BatchSize", BatchSize, 1, 1_000_000));
}
