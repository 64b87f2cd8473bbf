namespace ImapEvents.Infrastructure.Rules;

/// <summary>A rule an event matched, kept with the event (the rule may change or go later).</summary>
public sealed class EventRuleMatch
{
    public Guid EventId { get; set; }

    public Guid RuleId { get; set; }

    public string RuleName { get; set; } = "";

    public bool Snoozed { get; set; }

    /// <summary>Why the rule matched but did not fire (snoozed, in maintenance, acknowledged...); null when it fired.</summary>
    public Core.Incidents.RuleMatchHold? Held { get; set; }

    /// <summary>"Group by server": the group this firing went into, sent when the grouping window ends.</summary>
    public Guid? GroupId { get; set; }
}

public enum RuleChange
{
    Created,
    Updated,
    Enabled,
    Disabled,
    Snoozed,
    Unsnoozed,
    Deleted,
    Imported,

    /// <summary>An import with "Replace existing rules" updated the rule in place.</summary>
    ReplacedByImport,

    /// <summary>ImapEvents disabled one of the rule's actions: its receiver answered 410 Gone.</summary>
    ActionDisabled,

    /// <summary>An administrator became the owner, whose notification profile the rule uses.</summary>
    OwnershipTaken,
}

/// <summary>Who changed which rule when, with the rule before and after (as JSON).</summary>
public sealed class RuleAuditEntry
{
    public Guid Id { get; set; }

    public Guid RuleId { get; set; }

    public string RuleName { get; set; } = "";

    public RuleChange Change { get; set; }

    public string UserId { get; set; } = "";

    public string UserEmail { get; set; } = "";

    public DateTimeOffset At { get; set; }

    public string? Before { get; set; }

    public string? After { get; set; }
}

/// <summary>One row whose number goes up with every rule change, so each instance can tell its compiled rules are old.</summary>
public sealed class RuleSetVersion
{
    public int Id { get; set; } = 1;

    public long Version { get; set; }
}
