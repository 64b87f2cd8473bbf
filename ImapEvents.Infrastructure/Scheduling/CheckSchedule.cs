namespace ImapEvents.Infrastructure.Scheduling;

/// <summary>
/// When a mailbox's next check is due, and which process is checking it now. One row per mailbox, kept apart from
/// the mailbox row so that claiming and releasing checks never touches what administrators edit.
/// </summary>
public sealed class CheckSchedule
{
    public Guid MailboxId { get; set; }

    /// <summary>When the next scheduled check is due; null while the mailbox is disabled (Check now still works).</summary>
    public DateTimeOffset? DueAt { get; set; }

    /// <summary>The process ("host:pid") checking the mailbox now, by a dispatcher or Check now.</summary>
    public string? LeasedBy { get; set; }

    /// <summary>
    /// Until when that claim holds. The claiming process renews it while the check runs, so a claim of a process that
    /// died returns to the others within one lease.
    /// </summary>
    public DateTimeOffset? LeasedUntil { get; set; }
}
