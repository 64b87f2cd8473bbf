using ImapEvents.Core.Checks;

namespace ImapEvents.Core.Incidents;

/// <summary>
/// One problem of one mailbox, from its first failed check to the next check that succeeds. The four events
/// stay one per failed check; the incident is what they have in common, so rules can notify once per problem.
/// </summary>
public sealed class Incident
{
    public Guid Id { get; set; }

    /// <summary>Null once the mailbox was deleted; the copied fields keep the incident readable.</summary>
    public Guid? MailboxId { get; set; }

    public string MailboxName { get; set; } = "";

    public string ServerName { get; set; } = "";

    public int ServerPort { get; set; }

    public string LoginUsername { get; set; } = "";

    public bool Ssl { get; set; }

    /// <summary>The stage the latest failed check failed in.</summary>
    public CheckStage Stage { get; set; }

    public CheckErrorKind ErrorKind { get; set; }

    public string LastError { get; set; } = "";

    /// <summary>The first failed check: when the problem began (as far as ImapEvents can tell).</summary>
    public DateTimeOffset OpenedAt { get; set; }

    public DateTimeOffset LastFailureAt { get; set; }

    public int FailedChecks { get; set; }

    /// <summary>How often the failing stage changed (Login → Connection counts one).</summary>
    public int StageChanges { get; set; }

    /// <summary>The check that succeeded; null while the incident is open.</summary>
    public DateTimeOffset? ClosedAt { get; set; }

    public DateTimeOffset? AcknowledgedAt { get; set; }

    public string? AcknowledgedById { get; set; }

    public string? AcknowledgedBy { get; set; }

    public string? AcknowledgementNote { get; set; }

    /// <summary>A maintenance window held back this incident's notifications; they are owed when it ends and the mailbox still fails.</summary>
    public bool HeldByMaintenance { get; set; }

    public bool IsOpen => ClosedAt is null;

    public bool IsAcknowledged => AcknowledgedAt is not null;

    public TimeSpan Duration(DateTimeOffset now) => (ClosedAt ?? now) - OpenedAt;

    /// <summary>The incident a mailbox's first failed check opens.</summary>
    public static (Incident Incident, IncidentChange Opened) Open(
        Guid mailboxId, string mailboxName, string serverName, int serverPort, string loginUsername, bool ssl,
        CheckStage stage, CheckErrorKind kind, string error, DateTimeOffset at)
    {
        var incident = new Incident
        {
            Id = Guid.NewGuid(),
            MailboxId = mailboxId,
            MailboxName = mailboxName,
            ServerName = serverName,
            ServerPort = serverPort,
            LoginUsername = loginUsername,
            Ssl = ssl,
            Stage = stage,
            ErrorKind = kind,
            LastError = error,
            OpenedAt = at,
            LastFailureAt = at,
            FailedChecks = 1,
        };
        return (incident, incident.Change(IncidentChangeKind.Opened, at, error));
    }

    /// <summary>Counts one more failed check; a new stage or a new kind of error is a change worth keeping.</summary>
    public IncidentChange? RecordFailure(CheckStage stage, CheckErrorKind kind, string error, DateTimeOffset at)
    {
        EnsureOpen();
        FailedChecks++;
        LastFailureAt = at;
        LastError = error;
        IncidentChange? change = null;
        if (stage != Stage)
        {
            StageChanges++;
            change = Change(IncidentChangeKind.StageChanged, at, error, previousStage: Stage, stage: stage, kind: kind);
        }
        else if (kind != ErrorKind)
        {
            change = Change(IncidentChangeKind.ErrorChanged, at, error, kind: kind);
        }

        Stage = stage;
        ErrorKind = kind;
        return change;
    }

    public IncidentChange Recover(DateTimeOffset at)
    {
        EnsureOpen();
        ClosedAt = at;
        return Change(IncidentChangeKind.Recovered, at, null);
    }

    /// <summary>Ends the incident without a recovery: the mailbox was disabled or deleted, so no check will tell.</summary>
    public IncidentChange Close(string reason, DateTimeOffset at)
    {
        EnsureOpen();
        ClosedAt = at;
        return Change(IncidentChangeKind.Closed, at, reason);
    }

    /// <summary>The maintenance window that held back notifications ended while the mailbox still fails; they go out now.</summary>
    public IncidentChange EndMaintenance(DateTimeOffset at)
    {
        HeldByMaintenance = false;
        return Change(IncidentChangeKind.MaintenanceEnded, at, "A maintenance window ended while the mailbox was still failing; the rules it held back notified.");
    }

    public IncidentChange Escalated(string ruleName, DateTimeOffset at) =>
        Change(IncidentChangeKind.Escalated, at, $"Still open and unacknowledged: rule \"{ruleName}\" ran its escalation actions.");

    public IncidentChange Acknowledge(string userId, string userName, string? note, DateTimeOffset at)
    {
        EnsureOpen();
        AcknowledgedAt = at;
        AcknowledgedById = userId;
        AcknowledgedBy = userName;
        AcknowledgementNote = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        return Change(IncidentChangeKind.Acknowledged, at, AcknowledgementNote, userName: userName);
    }

    private IncidentChange Change(
        IncidentChangeKind what, DateTimeOffset at, string? message, CheckStage? previousStage = null, CheckStage? stage = null,
        CheckErrorKind? kind = null, string? userName = null) => new()
    {
        IncidentId = Id,
        Kind = what,
        At = at,
        Stage = stage ?? Stage,
        PreviousStage = previousStage,
        ErrorKind = kind ?? ErrorKind,
        Message = message,
        UserName = userName,
    };

    private void EnsureOpen()
    {
        if (!IsOpen)
        {
            throw new InvalidOperationException($"Incident {Id} is closed.");
        }
    }
}

public enum IncidentChangeKind
{
    Opened = 1,
    StageChanged = 2,
    ErrorChanged = 3,
    Acknowledged = 4,
    Escalated = 5,
    Recovered = 6,

    /// <summary>Ended without a recovery (the mailbox was disabled or deleted).</summary>
    Closed = 7,

    /// <summary>A maintenance window ended while the mailbox was still failing; the rules held back notified.</summary>
    MaintenanceEnded = 8,
}

/// <summary>One line of an incident's timeline.</summary>
public sealed class IncidentChange
{
    public long Id { get; set; }

    public Guid IncidentId { get; set; }

    public IncidentChangeKind Kind { get; set; }

    public DateTimeOffset At { get; set; }

    public CheckStage Stage { get; set; }

    public CheckStage? PreviousStage { get; set; }

    public CheckErrorKind ErrorKind { get; set; }

    /// <summary>The error (opened, changed), the acknowledgement's note, or what escalated.</summary>
    public string? Message { get; set; }

    /// <summary>Who acknowledged.</summary>
    public string? UserName { get; set; }
}
