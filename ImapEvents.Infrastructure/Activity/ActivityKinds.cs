namespace ImapEvents.Infrastructure.Activity;

/// <summary>What changed in PostgreSQL, as open pages care about it.</summary>
[Flags]
public enum ActivityKinds
{
    None = 0,

    /// <summary>An event was stored, or the rules it matched were recorded.</summary>
    Events = 1,

    /// <summary>A check finished and changed its mailbox's health.</summary>
    Checks = 2,

    /// <summary>A delivery was queued, changed state, or made an attempt.</summary>
    Deliveries = 4,

    /// <summary>A mailbox was added, changed or deleted.</summary>
    Mailboxes = 8,

    All = Events | Checks | Deliveries | Mailboxes,
}

public static class ActivityKindPayloads
{
    /// <summary>
    /// The kind a notification's payload names (the trigger argument in the ActivityNotifications
    /// migration). A payload this version does not know, say from a newer instance, means "anything".
    /// </summary>
    public static ActivityKinds FromPayload(string payload) => payload switch
    {
        "events" => ActivityKinds.Events,
        "checks" => ActivityKinds.Checks,
        "deliveries" => ActivityKinds.Deliveries,
        "mailboxes" => ActivityKinds.Mailboxes,
        _ => ActivityKinds.All,
    };
}
