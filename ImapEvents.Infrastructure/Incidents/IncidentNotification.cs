namespace ImapEvents.Infrastructure.Incidents;

/// <summary>
/// What one rule did about one incident: decided under the incident's row lock, so two instances never
/// notify twice, and read back for "once per incident", the recovery notification and the escalation.
/// </summary>
public sealed class IncidentNotification
{
    public Guid IncidentId { get; set; }

    public Guid RuleId { get; set; }

    public string RuleName { get; set; } = "";

    public DateTimeOffset FirstNotifiedAt { get; set; }

    public DateTimeOffset LastNotifiedAt { get; set; }

    /// <summary>The incident's stage-change count at the latest notification.</summary>
    public int StageChangeNumber { get; set; }

    public int Notifications { get; set; }

    /// <summary>When the rule's escalation actions run if the incident is still open and unacknowledged; null when it has none.</summary>
    public DateTimeOffset? EscalateAt { get; set; }

    public DateTimeOffset? EscalatedAt { get; set; }

    public DateTimeOffset? RecoveryNotifiedAt { get; set; }
}

/// <summary>
/// "Group by server": failures of several mailboxes on one server and stage, gathered for one rule during the
/// grouping window, then sent as one notification that lists them.
/// </summary>
public sealed class NotificationGroup
{
    public Guid Id { get; set; }

    public Guid RuleId { get; set; }

    public string RuleName { get; set; } = "";

    /// <summary>Lower-cased, so "IMAP.example.com" and "imap.example.com" group together.</summary>
    public string ServerName { get; set; } = "";

    public int ServerPort { get; set; }

    public Core.Checks.CheckStage Stage { get; set; }

    /// <summary>A group of recoveries ("Also notify on recovery" on a grouped rule): one alert going down, one coming back.</summary>
    public bool Recovery { get; set; }

    public DateTimeOffset OpenedAt { get; set; }

    /// <summary>The end of the grouping window, when the notification goes.</summary>
    public DateTimeOffset SendAt { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    /// <summary>The event the deliveries carry (the first one grouped).</summary>
    public Guid FirstEventId { get; set; }
}

/// <summary>One event gathered into a group.</summary>
public sealed class NotificationGroupMember
{
    public Guid GroupId { get; set; }

    public Guid EventId { get; set; }

    public Guid? IncidentId { get; set; }

    public string MailboxName { get; set; } = "";

    public string LoginUsername { get; set; } = "";

    public string ErrorMessage { get; set; } = "";

    public DateTimeOffset OccurredAt { get; set; }
}
