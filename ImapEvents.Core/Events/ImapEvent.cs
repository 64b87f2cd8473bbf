using ImapEvents.Core.Checks;

namespace ImapEvents.Core.Events;

/// <summary>A failed check, with the fields event rules match on. Stored for ever, never changed.</summary>
public sealed class ImapEvent
{
    public Guid Id { get; set; }

    public ImapEventType Type { get; set; }

    /// <summary>UTC.</summary>
    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>Null once the mailbox was deleted; the copied fields below keep the event readable.</summary>
    public Guid? MailboxId { get; set; }

    public string MailboxName { get; set; } = "";

    public string ServerName { get; set; } = "";

    public int ServerPort { get; set; }

    public string LoginUsername { get; set; } = "";

    /// <summary>True when the connection required TLS (SSL/TLS on connect or STARTTLS).</summary>
    public bool Ssl { get; set; }

    public CheckStage Stage { get; set; }

    public CheckErrorKind ErrorKind { get; set; }

    public string ErrorMessage { get; set; } = "";

    public Guid? CheckId { get; set; }

    /// <summary>Raised by "Send test event" for one rule, not by a check; only that rule's actions fire.</summary>
    public bool IsTest { get; set; }

    /// <summary>When the rules were evaluated for this event; null until then (a sweep retries it).</summary>
    public DateTimeOffset? DispatchedAt { get; set; }
}
