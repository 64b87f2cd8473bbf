using ImapEvents.Core.Rules;

namespace ImapEvents.Core.Maintenance;

public enum MaintenanceRecurrence
{
    /// <summary>From one instant to another.</summary>
    Once = 0,

    /// <summary>On chosen days, between two times of day, in a time zone.</summary>
    Weekly = 1,
}

public enum MaintenanceScope
{
    AllMailboxes = 0,

    /// <summary>Mailboxes whose server name matches a pattern (case-insensitive, <c>*</c> wildcard).</summary>
    ServerPattern = 1,

    ChosenMailboxes = 2,
}

/// <summary>
/// A time when checks and events go on, marked "in maintenance", but no action runs. When it ends and a
/// mailbox is still failing, its rules notify once.
/// </summary>
public sealed class MaintenanceWindow
{
    public Guid Id { get; set; }

    public string Name { get; set; } = "";

    public MaintenanceRecurrence Recurrence { get; set; }

    /// <summary>For a one-off window (UTC).</summary>
    public DateTimeOffset? StartsAt { get; set; }

    /// <summary>For a one-off window (UTC, exclusive).</summary>
    public DateTimeOffset? EndsAt { get; set; }

    /// <summary>For a weekly window: the days it starts on; none means every day.</summary>
    public DaysOfWeek Days { get; set; }

    /// <summary>For a weekly window; a <see cref="TimeTo"/> before it wraps midnight (into the next day).</summary>
    public TimeOnly? TimeFrom { get; set; }

    public TimeOnly? TimeTo { get; set; }

    /// <summary>IANA zone of a weekly window; null means the server's configured zone.</summary>
    public string? TimeZoneId { get; set; }

    public MaintenanceScope Scope { get; set; }

    public string? ServerPattern { get; set; }

    public List<Guid> MailboxIds { get; set; } = [];

    public string CreatedBy { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public uint Version { get; set; }

    public bool Applies(Guid mailboxId, string serverName) => Scope switch
    {
        MaintenanceScope.AllMailboxes => true,
        MaintenanceScope.ServerPattern => WildcardPattern.Parse(ServerPattern).IsMatch(serverName),
        MaintenanceScope.ChosenMailboxes => MailboxIds.Contains(mailboxId),
        _ => false,
    };

    /// <summary>Whether the window is on at <paramref name="at"/>, whoever it applies to.</summary>
    public bool IsActive(DateTimeOffset at, TimeZoneInfo defaultZone)
    {
        if (Recurrence == MaintenanceRecurrence.Once)
        {
            return StartsAt is { } start && EndsAt is { } end && at >= start && at < end;
        }

        if (TimeFrom is not { } from || TimeTo is not { } to)
        {
            return false;
        }

        var zone = CompiledRules.ResolveZone(TimeZoneId, defaultZone);
        var local = TimeZoneInfo.ConvertTime(at, zone).DateTime;
        var time = TimeOnly.FromDateTime(local);
        if (from < to)
        {
            return time >= from && time < to && RuleConditions.DayHolds(Days, local.DayOfWeek);
        }

        // Wraps midnight: the part after midnight belongs to the window that started the day before.
        return time >= from
            ? RuleConditions.DayHolds(Days, local.DayOfWeek)
            : time < to && RuleConditions.DayHolds(Days, local.AddDays(-1).DayOfWeek);
    }

    public bool Covers(Guid mailboxId, string serverName, DateTimeOffset at, TimeZoneInfo defaultZone) =>
        Applies(mailboxId, serverName) && IsActive(at, defaultZone);
}
