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

    /// <summary>For a weekly window, on the wall clock of its zone; a <see cref="TimeTo"/> before it wraps midnight (into the next day).</summary>
    public TimeOnly? TimeFrom { get; set; }

    public TimeOnly? TimeTo { get; set; }

    /// <summary>
    /// IANA zone of a weekly window's days and times; null means the server's configured zone. A one-off window
    /// keeps the zone its times were entered in, to show them in it again.
    /// </summary>
    public string? TimeZoneId { get; set; }

    public MaintenanceScope Scope { get; set; }

    public string? ServerPattern { get; set; }

    public List<Guid> MailboxIds { get; set; } = [];

    public string CreatedBy { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public uint Version { get; set; }

    /// <summary>Whether the window is for this mailbox, whenever it is on.</summary>
    public bool Applies(Guid mailboxId, string serverName) => Scope switch
    {
        MaintenanceScope.AllMailboxes => true,
        // An empty pattern would match every server; a window meant for some servers must never silence all of them.
        MaintenanceScope.ServerPattern => !string.IsNullOrWhiteSpace(ServerPattern) && WildcardPattern.Parse(ServerPattern).IsMatch(serverName),
        MaintenanceScope.ChosenMailboxes => MailboxIds.Contains(mailboxId),
        _ => false,
    };

    /// <summary>Whether the window is on at <paramref name="at"/>, whoever it applies to.</summary>
    public bool IsActive(DateTimeOffset at, TimeZoneInfo defaultZone) =>
        CurrentOrNext(at, defaultZone) is { } period && period.Contains(at);

    public bool Covers(Guid mailboxId, string serverName, DateTimeOffset at, TimeZoneInfo defaultZone) =>
        Applies(mailboxId, serverName) && IsActive(at, defaultZone);

    /// <summary>
    /// The period that is on at <paramref name="at"/>, or else the next one to begin; null when none is to
    /// come (a one-off window that ended, or one without its times).
    /// </summary>
    public MaintenancePeriod? CurrentOrNext(DateTimeOffset at, TimeZoneInfo defaultZone)
    {
        switch (Recurrence)
        {
            case MaintenanceRecurrence.Once:
                return StartsAt is { } start && EndsAt is { } end && start < end && end > at ? new MaintenancePeriod(start, end) : null;

            case MaintenanceRecurrence.Weekly:
                if (TimeFrom is not { } from || TimeTo is not { } to || from == to)
                {
                    return null;
                }

                var zone = CompiledRules.ResolveZone(TimeZoneId, defaultZone);
                var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);
                // From two days back, with a day to spare: a period that began yesterday and wraps midnight may
                // still be on. Periods begin in the order of their days, so the first not over is the one.
                for (var day = today.AddDays(-2); day <= today.AddDays(8); day = day.AddDays(1))
                {
                    if (RuleConditions.DayHolds(Days, day.DayOfWeek) && WeeklyPeriod(day, from, to, zone) is var period && period.End > at)
                    {
                        return period;
                    }
                }

                return null;

            default:
                return null;
        }
    }

    /// <summary>
    /// The period of a weekly window that starts on <paramref name="day"/>, from <paramref name="from"/> to
    /// <paramref name="to"/> on the wall clock of <paramref name="zone"/>; a <paramref name="to"/> not after
    /// <paramref name="from"/> is on the next day. Where the clocks change, each edge is the first moment the
    /// clock reaches its time: an edge in the hour skipped in spring is the moment of the jump, and an edge in
    /// the hour shown twice in autumn is its first showing, so the window happens once. A window wholly inside
    /// the skipped hour would vanish that night; it moves just past it instead, keeping its length (the planned
    /// work it covers most likely moves with the clock too).
    /// </summary>
    public static MaintenancePeriod WeeklyPeriod(DateOnly day, TimeOnly from, TimeOnly to, TimeZoneInfo zone)
    {
        var startLocal = day.ToDateTime(from);
        var endLocal = (to > from ? day : day.AddDays(1)).ToDateTime(to);
        var start = WallClock.FirstReaching(startLocal, zone);
        var end = WallClock.FirstReaching(endLocal, zone);
        if (end <= start)
        {
            start = WallClock.ShiftedPastGap(startLocal, zone);
            end = WallClock.ShiftedPastGap(endLocal, zone);
        }

        return new MaintenancePeriod(start, end);
    }
}

/// <summary>One stretch of time a window is on: a one-off window's only one, or one day's of a weekly window (end exclusive).</summary>
public readonly record struct MaintenancePeriod(DateTimeOffset Start, DateTimeOffset End)
{
    public bool Contains(DateTimeOffset at) => at >= Start && at < End;
}
