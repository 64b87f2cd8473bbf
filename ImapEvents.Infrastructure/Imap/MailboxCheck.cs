using ImapEvents.Core.Checks;

namespace ImapEvents.Infrastructure.Imap;

/// <summary>One run of a mailbox check, kept for the mailbox's history and health.</summary>
public sealed class MailboxCheck
{
    public Guid Id { get; set; }

    public Guid MailboxId { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    /// <summary>When a scheduled check was due (null for Check now): how late it started is its lag.</summary>
    public DateTimeOffset? DueAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The last stage the check entered (the failing one when it failed).</summary>
    public CheckStage StageReached { get; set; }

    public CheckOutcome? Outcome { get; set; }

    public CheckErrorKind ErrorKind { get; set; }

    public string? ErrorMessage { get; set; }

    public int MessagesImported { get; set; }

    public int MessagesFailed { get; set; }

    /// <summary>Manual checks ("Check now") are told apart from scheduled ones in the history.</summary>
    public bool Manual { get; set; }

    /// <summary>The process running the check ("host:pid"), so a check left running by one that is gone can be closed.</summary>
    public string? RunBy { get; set; }
}

/// <summary>The health of a mailbox at a glance, kept up to date by every check.</summary>
public sealed class MailboxStatus
{
    public Guid MailboxId { get; set; }

    public DateTimeOffset? LastCheckAt { get; set; }

    public CheckOutcome? LastOutcome { get; set; }

    public CheckStage? LastStage { get; set; }

    public CheckErrorKind LastErrorKind { get; set; }

    public string? LastError { get; set; }

    public int ConsecutiveFailures { get; set; }

    public DateTimeOffset? LastSuccessAt { get; set; }

    public long MessagesImported { get; set; }

    /// <summary>When the latest interrupted check started; shown while no check finished after it.</summary>
    public DateTimeOffset? LastInterruptedCheckAt { get; set; }

    /// <summary>Why that check was interrupted, in words.</summary>
    public string? LastInterruption { get; set; }

    /// <summary>The incident the mailbox is in; null while it is healthy.</summary>
    public Guid? OpenIncidentId { get; set; }

    /// <summary>The server certificate's expiry as the latest TLS check saw it.</summary>
    public DateTimeOffset? CertificateExpiresAt { get; set; }

    public string? CertificateIssuer { get; set; }

    public string? CertificateSubject { get; set; }

    /// <summary>The day (UTC) of the latest IMAP Certificate Expiring event, so it is raised once a day.</summary>
    public DateOnly? CertificateWarnedOn { get; set; }

    /// <summary>When the sweep raised IMAP Mailbox Stale; cleared by the next check that completes.</summary>
    public DateTimeOffset? StaleSince { get; set; }
}

/// <summary>A message stored in PostgreSQL. UIDVALIDITY + UID make it unique per mailbox, so it is imported once.</summary>
public sealed class ImportedMessage
{
    public Guid Id { get; set; }

    public Guid MailboxId { get; set; }

    public long UidValidity { get; set; }

    public long Uid { get; set; }

    public string? MessageId { get; set; }

    public string From { get; set; } = "";

    public string To { get; set; } = "";

    public string Subject { get; set; } = "";

    public DateTimeOffset? Date { get; set; }

    public int Size { get; set; }

    public byte[] RawMime { get; set; } = [];

    public DateTimeOffset ImportedAt { get; set; }

    /// <summary>
    /// Set in the import transaction and cleared once the server copy was marked, moved or deleted.
    /// A check that died in between finishes the server change next time instead of importing again.
    /// </summary>
    public bool ServerChangePending { get; set; }
}

/// <summary>
/// A message that could not be imported and stays on the server. Remembered so that every check
/// tries it again, even where the search would no longer find it (already read, below the highest imported UID).
/// </summary>
public sealed class ImportFailure
{
    public Guid MailboxId { get; set; }

    public long UidValidity { get; set; }

    public long Uid { get; set; }

    public int Attempts { get; set; }

    public string LastError { get; set; } = "";

    public DateTimeOffset LastAttemptAt { get; set; }
}
