using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;

namespace ImapEvents.Core.Rules;

/// <summary>A set of days; no day means every day.</summary>
[Flags]
public enum DaysOfWeek
{
    None = 0,
    Sunday = 1 << DayOfWeek.Sunday,
    Monday = 1 << DayOfWeek.Monday,
    Tuesday = 1 << DayOfWeek.Tuesday,
    Wednesday = 1 << DayOfWeek.Wednesday,
    Thursday = 1 << DayOfWeek.Thursday,
    Friday = 1 << DayOfWeek.Friday,
    Saturday = 1 << DayOfWeek.Saturday,
    Weekdays = Monday | Tuesday | Wednesday | Thursday | Friday,
    Weekend = Saturday | Sunday,
    All = Weekdays | Weekend,
}

/// <summary>The SSL condition: whether the server required an SSL connection.</summary>
public enum SslCondition
{
    Any = 0,
    True = 1,
    False = 2,
}

public static class SslConditionNames
{
    /// <summary>The choices as the editor offers them (the source feature's any / true / false).</summary>
    public static string DisplayName(this SslCondition ssl) => ssl switch
    {
        SslCondition.Any => "Any",
        SslCondition.True => "true",
        SslCondition.False => "false",
    };
}

/// <summary>How often a rule notifies about one incident.</summary>
public enum NotifyMode
{
    /// <summary>On every matching event, subject to each action's max frequency (the source feature's behaviour).</summary>
    EveryEvent = 0,

    /// <summary>Once per incident, and again when its failing stage changes.</summary>
    OncePerIncident = 1,
}

public static class NotifyModeNames
{
    /// <summary>The choices of Notify as the editor offers them.</summary>
    public static string DisplayName(this NotifyMode mode) => mode switch
    {
        NotifyMode.EveryEvent => "On every matching event",
        NotifyMode.OncePerIncident => "Once per incident",
    };
}

/// <summary>
/// An event rule, with the conditions of the source feature. Every condition that is set must hold
/// for the rule to match; an unset condition matches anything.
/// </summary>
public sealed class EventRule
{
    public Guid Id { get; set; }

    public string Name { get; set; } = "";

    /// <summary>A disabled rule never triggers.</summary>
    public bool Enabled { get; set; } = true;

    public ImapEventType EventType { get; set; } = ImapEventType.ConnectionFailed;

    /// <summary>Start of the Time of Day window (inclusive); with <see cref="TimeTo"/>, or neither.</summary>
    public TimeOnly? TimeFrom { get; set; }

    /// <summary>End of the Time of Day window (exclusive); before <see cref="TimeFrom"/> means the window wraps midnight.</summary>
    public TimeOnly? TimeTo { get; set; }

    /// <summary>IANA zone for Time of Day and Day of Week; null means the server's configured zone.</summary>
    public string? TimeZoneId { get; set; }

    public DaysOfWeek DaysOfWeek { get; set; }

    /// <summary>Case-insensitive; <c>*</c> matches any run of characters; empty matches any server.</summary>
    public string? ServerName { get; set; }

    public int? ServerPort { get; set; }

    /// <summary>Case-insensitive; <c>*</c> matches any run of characters; empty matches any username.</summary>
    public string? LoginUsername { get; set; }

    public SslCondition Ssl { get; set; }

    /// <summary>What happens when the rule matches, in this order.</summary>
    public List<RuleAction> Actions { get; set; } = [];

    /// <summary>Fire after N consecutive failures: failed checks of the incident before the rule notifies (1 = the first).</summary>
    public int FireAfterFailures { get; set; } = 1;

    public NotifyMode Notify { get; set; }

    /// <summary>Also notify on recovery: the actions run once more with the IMAP Recovered event when an incident the rule notified about closes.</summary>
    public bool NotifyOnRecovery { get; set; }

    /// <summary>Group by server: failures of several mailboxes on one server and stage within the grouping window become one notification.</summary>
    public bool GroupByServer { get; set; }

    /// <summary>Escalate after M minutes: run <see cref="EscalationActions"/> if the incident is still open and unacknowledged then.</summary>
    public int? EscalateAfterMinutes { get; set; }

    /// <summary>The second ordered list of actions, run once per incident by the escalation.</summary>
    public List<RuleAction> EscalationActions { get; set; } = [];

    /// <summary>While in the future the rule still matches, but the match is recorded as snoozed and nothing fires.</summary>
    public DateTimeOffset? SnoozedUntil { get; set; }

    /// <summary>The administrator who created the rule ("Use My Notification Profile" sends to theirs).</summary>
    public string OwnerId { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public uint Version { get; set; }

    public bool HasTimeOfDay => TimeFrom is not null && TimeTo is not null;
}
