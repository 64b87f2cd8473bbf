using System.Globalization;
using ImapEvents.Core.Maintenance;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Maintenance;
using ImapEvents.Web.Features.Rules;

namespace ImapEvents.Web.Features.Maintenance;

/// <summary>How the Maintenance page words a window: its schedule, whom it is for, and where it stands.</summary>
public static class MaintenanceText
{
    /// <summary>Times are shown on the wall clock of the window's own zone, which the schedule names.</summary>
    public static string Moment(DateTimeOffset at, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(at, zone).ToString("ddd d MMM yyyy, HH:mm", CultureInfo.InvariantCulture);

    public static TimeZoneInfo ZoneOf(MaintenanceWindow window, TimeZoneInfo defaultZone) =>
        CompiledRules.ResolveZone(window.TimeZoneId, defaultZone);

    public static string Schedule(MaintenanceWindow window, TimeZoneInfo defaultZone)
    {
        var zone = ZoneOf(window, defaultZone);
        return window.Recurrence switch
        {
            MaintenanceRecurrence.Once when window is { StartsAt: { } start, EndsAt: { } end } =>
                $"Once, {Moment(start, zone)} to {Moment(end, zone)} ({zone.Id})",
            MaintenanceRecurrence.Once => "Once",
            MaintenanceRecurrence.Weekly =>
                $"Weekly, {Days(window.Days)}, {Time(window.TimeFrom)} to {Time(window.TimeTo)}{(window.TimeTo < window.TimeFrom ? " the next day" : "")} ({zone.Id})",
            _ => window.Recurrence.ToString(),
        };
    }

    public static string Scope(MaintenanceWindowRow row, IReadOnlyDictionary<Guid, string> mailboxNames)
    {
        var window = row.Window;
        var count = row.MailboxCount == 1 ? "1 mailbox" : $"{row.MailboxCount} mailboxes";
        return window.Scope switch
        {
            MaintenanceScope.AllMailboxes => $"All mailboxes ({count})",
            MaintenanceScope.ServerPattern => $"Servers matching {window.ServerPattern} ({count})",
            MaintenanceScope.ChosenMailboxes =>
                "Chosen mailboxes: " + string.Join(", ", window.MailboxIds.Select(id => mailboxNames.GetValueOrDefault(id, "(deleted mailbox)"))),
            _ => window.Scope.ToString(),
        };
    }

    public static string StateName(MaintenanceState state) => state switch
    {
        MaintenanceState.Active => "Active now",
        MaintenanceState.Upcoming => "Upcoming",
        MaintenanceState.Ended => "Ended",
        _ => state.ToString(),
    };

    /// <summary>When the state changes next, or changed: "until …", "starts …", "ended …".</summary>
    public static string StateTime(MaintenanceWindowRow row, TimeZoneInfo defaultZone)
    {
        var zone = ZoneOf(row.Window, defaultZone);
        return (row.State, row.Period) switch
        {
            (MaintenanceState.Active, { } period) => $"until {Moment(period.End, zone)}",
            (MaintenanceState.Upcoming, { } period) => $"starts {Moment(period.Start, zone)}",
            (MaintenanceState.Ended, { } period) => $"ended {Moment(period.End, zone)}",
            _ => "",
        };
    }

    private static string Days(DaysOfWeek days) =>
        days == DaysOfWeek.None || days == DaysOfWeek.All
            ? "every day"
            : string.Join(", ", RuleEditorDialog.WeekFromMonday.Where(d => RuleConditions.DayHolds(days, d)).Select(d => d.ToString()[..3]));

    private static string Time(TimeOnly? time) => time?.ToString("HH:mm", CultureInfo.InvariantCulture) ?? "?";
}
