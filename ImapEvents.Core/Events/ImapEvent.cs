using ImapEvents.Core.Checks;
using ImapEvents.Core.Mailboxes;

namespace ImapEvents.Core.Events;

/// <summary>A failed check (or an incident's end, a certificate warning, a stale mailbox), with the fields event rules match on. Never changed once stored.</summary>
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

    /// <summary>The incident this event belongs to: the one a failed check opened or continued, or the one a recovery closed.</summary>
    public Guid? IncidentId { get; set; }

    /// <summary>For a failure, its place among the incident's failed checks (1 for the first); for a recovery, all of them.</summary>
    public int FailureNumber { get; set; }

    /// <summary>How often the incident's failing stage had changed when this event was raised, so "once per incident" can notify again.</summary>
    public int StageChangeNumber { get; set; }

    /// <summary>Raised while a maintenance window covered the mailbox: stored and listed, but no action runs for it.</summary>
    public bool InMaintenance { get; set; }

    /// <summary>For IMAP Recovered: from the incident's first failed check to the check that succeeded.</summary>
    public TimeSpan? Downtime { get; set; }

    /// <summary>For IMAP Certificate Expiring: when the server's certificate expires (UTC).</summary>
    public DateTimeOffset? CertificateExpiresAt { get; set; }

    /// <summary>For IMAP Certificate Expiring: who issued the certificate.</summary>
    public string? CertificateIssuer { get; set; }

    /// <summary>A new event about a mailbox, with the fields rules match on copied from it (they stay readable after it is deleted).</summary>
    public static ImapEvent About(Mailbox mailbox, ImapEventType type, DateTimeOffset at) => new()
    {
        Id = Guid.NewGuid(),
        Type = type,
        OccurredAt = at,
        MailboxId = mailbox.Id,
        MailboxName = mailbox.DisplayName,
        ServerName = mailbox.ServerName,
        ServerPort = mailbox.ServerPort,
        LoginUsername = mailbox.LoginUsername,
        Ssl = mailbox.Security.RequiresTls(),
    };

    /// <summary>When the rules were evaluated for this event; null until then (a sweep retries it).</summary>
    public DateTimeOffset? DispatchedAt { get; set; }
}
