using ImapEvents.Infrastructure.Settings;

namespace ImapEvents.Infrastructure.Identity;

/// <summary>The first administrator, from configuration (Bootstrap__AdminEmail, Bootstrap__AdminPassword).</summary>
public sealed class BootstrapOptions : ICheckedSettings
{
    public const string SectionName = "Bootstrap";

    public string? AdminEmail { get; set; }

    public string? AdminPassword { get; set; }

    /// <summary>How long a logged setup link stays valid.</summary>
    public TimeSpan SetupLinkLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <inheritdoc/>
    public IReadOnlyList<string> Problems() =>
        SettingRange.All(SettingRange.Check("Bootstrap__SetupLinkLifetime", SetupLinkLifetime, TimeSpan.FromMinutes(5), TimeSpan.FromDays(30)));
}
