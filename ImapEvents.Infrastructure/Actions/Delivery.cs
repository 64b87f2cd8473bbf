using ImapEvents.Core.Actions;

namespace ImapEvents.Infrastructure.Actions;

public enum DeliveryStatus
{
    /// <summary>Stored; its job is queued (or the sweep queues it).</summary>
    Pending,

    /// <summary>An attempt is running.</summary>
    Sending,

    /// <summary>An attempt failed; Hangfire runs the job again after a back-off.</summary>
    Retrying,

    Delivered,

    /// <summary>Every attempt failed; the job is in Hangfire's failed list, where it can be retried by hand.</summary>
    Failed,

    /// <summary>Held back by the action's max frequency; the next delivery reports it in {SuppressedCount}.</summary>
    Suppressed,
}

/// <summary>Why a delivery was made.</summary>
public enum DeliveryTrigger
{
    /// <summary>The rule matched the event.</summary>
    Event = 0,

    /// <summary>"Also notify on recovery": the incident the rule notified about closed.</summary>
    Recovery = 1,

    /// <summary>"Escalate after M minutes": the incident stayed open and unacknowledged.</summary>
    Escalation = 2,

    /// <summary>A maintenance window ended while the mailbox was still failing.</summary>
    MaintenanceEnded = 3,
}

public static class DeliveryTriggerNames
{
    /// <summary>The name receivers see (the webhook's "trigger").</summary>
    public static string WireName(this DeliveryTrigger trigger) => trigger switch
    {
        DeliveryTrigger.Event => "event",
        DeliveryTrigger.Recovery => "recovery",
        DeliveryTrigger.Escalation => "escalation",
        DeliveryTrigger.MaintenanceEnded => "maintenance_ended",
    };
}

/// <summary>
/// One action fired for one event. It keeps a copy of the action as it was at the firing, so an edit or a
/// deleted rule never changes or loses a delivery that is still being retried.
/// </summary>
public sealed class Delivery
{
    public Guid Id { get; set; }

    public Guid EventId { get; set; }

    public Guid RuleId { get; set; }

    public string RuleName { get; set; } = "";

    /// <summary>The rule's owner at the firing: whose notification profile Use My Notification Profile reaches.</summary>
    public string OwnerId { get; set; } = "";

    public Guid ActionId { get; set; }

    /// <summary>The action's place in its rule, from 0.</summary>
    public int ActionPosition { get; set; }

    public ActionKind Kind { get; set; }

    public RuleAction Action { get; set; } = new();

    /// <summary>Parts already sent when an action sends several messages (Use My Notification Profile: email, SMS), so a retry sends only the rest.</summary>
    public List<string> CompletedParts { get; set; } = [];

    public DeliveryTrigger Trigger { get; set; }

    /// <summary>"Group by server": the group whose mailboxes this one notification lists.</summary>
    public Guid? GroupId { get; set; }

    /// <summary>Firings the max frequency held back before this one.</summary>
    public int SuppressedCount { get; set; }

    public DeliveryStatus Status { get; set; }

    public int Attempts { get; set; }

    public int? LastResponseCode { get; set; }

    public string? LastError { get; set; }

    /// <summary>The Hangfire job that delivers it (a link into the job dashboard).</summary>
    public string? JobId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? EnqueuedAt { get; set; }

    public DateTimeOffset? AttemptStartedAt { get; set; }

    /// <summary>The process that claimed the current attempt ("host:pid"), so an attempt left Sending by one that is gone can be closed.</summary>
    public string? ClaimedBy { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }
}

/// <summary>One try of a delivery: when, how it ended, what the receiver answered.</summary>
public sealed class DeliveryAttempt
{
    public Guid Id { get; set; }

    public Guid DeliveryId { get; set; }

    public int Number { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset FinishedAt { get; set; }

    public bool Succeeded { get; set; }

    public int? ResponseCode { get; set; }

    public string? Error { get; set; }
}

/// <summary>Where one action's max-frequency window stands; locked row by row while a firing is decided.</summary>
public sealed class ActionThrottle
{
    public Guid ActionId { get; set; }

    public DateTimeOffset? WindowStartedAt { get; set; }

    public int Suppressed { get; set; }
}
