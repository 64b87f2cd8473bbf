using ImapEvents.Core.Events;

namespace ImapEvents.Core.Rules;

/// <summary>
/// The plain meaning of a rule's conditions, one rule at a time. The compiled matcher must agree
/// with it; it also answers "would this rule as edited have fired?".
/// </summary>
public static class RuleConditions
{
    /// <summary>Whether every set condition of <paramref name="rule"/> holds for <paramref name="imapEvent"/> (Enabled and snooze aside).</summary>
    public static bool Hold(EventRule rule, ImapEvent imapEvent, TimeZoneInfo zone)
    {
        if (rule.EventType != imapEvent.Type)
        {
            return false;
        }

        if (rule.ServerPort is { } port && port != imapEvent.ServerPort)
        {
            return false;
        }

        if (rule.Ssl != SslCondition.Any && (rule.Ssl == SslCondition.True) != imapEvent.Ssl)
        {
            return false;
        }

        if (!WildcardPattern.Parse(rule.ServerName).IsMatch(imapEvent.ServerName)
            || !WildcardPattern.Parse(rule.LoginUsername).IsMatch(imapEvent.LoginUsername))
        {
            return false;
        }

        if (rule.DaysOfWeek == DaysOfWeek.None && !rule.HasTimeOfDay)
        {
            return true;
        }

        var local = TimeZoneInfo.ConvertTime(imapEvent.OccurredAt, zone);
        return DayHolds(rule.DaysOfWeek, local.DayOfWeek)
            && (!rule.HasTimeOfDay || TimeHolds(rule.TimeFrom!.Value, rule.TimeTo!.Value, TimeOnly.FromTimeSpan(local.TimeOfDay)));
    }

    public static bool DayHolds(DaysOfWeek days, DayOfWeek day) =>
        days == DaysOfWeek.None || ((int)days & (1 << (int)day)) != 0;

    /// <summary>From inclusive, to exclusive; a window whose end is before its start wraps midnight.</summary>
    public static bool TimeHolds(TimeOnly from, TimeOnly to, TimeOnly time) =>
        from <= to ? time >= from && time < to : time >= from || time < to;
}
