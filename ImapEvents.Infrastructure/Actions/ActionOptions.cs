using ImapEvents.Infrastructure.Settings;

namespace ImapEvents.Infrastructure.Actions;

public sealed class ActionOptions : ICheckedSettings
{
    public const string SectionName = "Actions";

    /// <summary>Where Log to File writes; relative paths are under the working directory. Nothing is written outside it.</summary>
    public string LogDirectory { get; set; } = "action-logs";

    /// <summary>How long a web page or webhook may take to answer before the attempt counts as failed.</summary>
    public TimeSpan HttpTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long sending one email may take, from connecting to the SMTP server to its last answer.</summary>
    public TimeSpan SmtpTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest a receiver's Retry-After (on a 429 or 503) may hold back the next attempt; a longer one is
    /// cut to this, so a receiver cannot park a delivery for days.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(1);

    public string ResolvedLogDirectory => Path.GetFullPath(LogDirectory);

    /// <inheritdoc/>
    public IReadOnlyList<string> Problems() => SettingRange.All(
        string.IsNullOrWhiteSpace(LogDirectory) ? "Actions__LogDirectory must name a folder (absent means action-logs in the working directory)." : null,
        SettingRange.Check("Actions__HttpTimeout", HttpTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)),
        SettingRange.Check("Actions__SmtpTimeout", SmtpTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)),
        SettingRange.Check("Actions__MaxRetryAfter", MaxRetryAfter, TimeSpan.Zero, TimeSpan.FromDays(7)));
}
