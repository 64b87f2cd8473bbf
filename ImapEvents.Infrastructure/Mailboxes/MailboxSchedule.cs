using Hangfire;
using Hangfire.Storage;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Mailboxes;

/// <summary>
/// Keeps each mailbox's row in check_schedule: a due time on the mailbox's own grid while it is enabled, none while it
/// is disabled. The dispatchers (<see cref="CheckDispatcher"/>) check what is due.
/// </summary>
public sealed class MailboxSchedule(
    IDbContextFactory<AppDbContext> dbFactory,
    IRecurringJobManager recurringJobs,
    JobStorage storage,
    TimeProvider time,
    ILogger<MailboxSchedule> logger)
{
    /// <summary>Earlier versions ran one recurring Hangfire job per mailbox under this prefix; start-up removes them.</summary>
    public const string LegacyJobIdPrefix = "mailbox-check:";

    /// <summary>When the mailbox is next due after <paramref name="after"/>; null while it is disabled.</summary>
    public static DateTimeOffset? NextDue(Mailbox mailbox, DateTimeOffset after) =>
        NextDue(mailbox.Id, mailbox.Enabled, mailbox.PollIntervalMinutes, after);

    /// <remarks>An interval out of range (the database refuses one; an older row could hold it) gives no due time rather than an exception.</remarks>
    public static DateTimeOffset? NextDue(Guid mailboxId, bool enabled, int pollIntervalMinutes, DateTimeOffset after) =>
        enabled && pollIntervalMinutes is >= 1 and <= MailboxRules.MaxPollIntervalMinutes
            ? PollSchedule.NextDue(pollIntervalMinutes, mailboxId, after)
            : null;

    /// <summary>
    /// In the transaction that saves a mailbox whose interval changed or that was enabled or disabled: its next due
    /// time on its new grid, or none. A check running meanwhile keeps its claim.
    /// </summary>
    public static Task SetDueAsync(AppDbContext db, Mailbox mailbox, DateTimeOffset now, CancellationToken cancellationToken) =>
        SetDueAsync(db, mailbox.Id, NextDue(mailbox, now), cancellationToken);

    /// <summary>
    /// In the transaction that saves a shorter interval: the next due time on the new grid, unless the one already set
    /// comes sooner. Going from 10 minutes to 5 must never put the next check further off than it was.
    /// </summary>
    public static Task SetShorterIntervalDueAsync(AppDbContext db, Mailbox mailbox, DateTimeOffset now, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO check_schedule ("MailboxId", "DueAt") VALUES ({mailbox.Id}, {NextDue(mailbox, now)})
            ON CONFLICT ("MailboxId") DO UPDATE SET "DueAt" =
                CASE WHEN check_schedule."DueAt" > {now} AND check_schedule."DueAt" < EXCLUDED."DueAt" THEN check_schedule."DueAt"
                     ELSE EXCLUDED."DueAt" END
            """,
            cancellationToken);

    private static Task<int> SetDueAsync(AppDbContext db, Guid mailboxId, DateTimeOffset? due, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO check_schedule ("MailboxId", "DueAt") VALUES ({mailboxId}, {due})
            ON CONFLICT ("MailboxId") DO UPDATE SET "DueAt" = EXCLUDED."DueAt"
            """,
            cancellationToken);

    /// <returns>1 when the row was missing and is there now.</returns>
    public static Task<int> InsertIfMissingAsync(AppDbContext db, Mailbox mailbox, DateTimeOffset now, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO check_schedule ("MailboxId", "DueAt") VALUES ({mailbox.Id}, {NextDue(mailbox, now)})
            ON CONFLICT ("MailboxId") DO NOTHING
            """,
            cancellationToken);

    /// <summary>
    /// Repairs what does not agree with the mailboxes: a mailbox without a row (written by an earlier version or by
    /// hand), an enabled one without a due time, a disabled one with one. One query when all is well; the dispatchers
    /// run it once a minute, so a mailbox inserted by SQL is checked without a restart.
    /// </summary>
    /// <returns>How many rows were repaired.</returns>
    public async Task<int> RepairAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var drifted = await db.Database.SqlQuery<ScheduleDrift>(
            $"""
            SELECT m."Id" AS "MailboxId", m."Enabled", m."PollIntervalMinutes"
            FROM mailboxes AS m LEFT JOIN check_schedule AS s ON s."MailboxId" = m."Id"
            WHERE s."MailboxId" IS NULL OR (m."Enabled" AND s."DueAt" IS NULL) OR (NOT m."Enabled" AND s."DueAt" IS NOT NULL)
            """).ToListAsync(cancellationToken);
        if (drifted.Count == 0)
        {
            return 0;
        }

        // One statement however many: after an upgrade (or a bulk insert by SQL) that is every mailbox at once.
        var now = time.GetUtcNow();
        var ids = drifted.Select(m => m.MailboxId).ToArray();
        var dues = drifted.Select(m => NextDue(m.MailboxId, m.Enabled, m.PollIntervalMinutes, now)).ToArray();
        await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO check_schedule ("MailboxId", "DueAt")
            SELECT v.id, v.due FROM unnest({ids}, {dues}) AS v(id, due)
            JOIN mailboxes AS m ON m."Id" = v.id
            ON CONFLICT ("MailboxId") DO UPDATE SET "DueAt" = EXCLUDED."DueAt"
            """,
            cancellationToken);
        return drifted.Count;
    }

    /// <summary>At start-up: repairs the rows, and removes the per-mailbox recurring jobs of earlier versions.</summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var repaired = await RepairAsync(cancellationToken);
        using var connection = storage.GetConnection();
        var legacy = connection.GetRecurringJobs().Select(job => job.Id)
            .Where(id => id.StartsWith(LegacyJobIdPrefix, StringComparison.Ordinal))
            .ToList();
        foreach (var id in legacy)
        {
            recurringJobs.RemoveIfExists(id);
        }

        logger.LogInformation("Mailbox schedule reconciled: {Repaired} due times set, {Removed} per-mailbox jobs of an earlier version removed", repaired, legacy.Count);
    }

    private sealed class ScheduleDrift
    {
        public Guid MailboxId { get; set; }

        public bool Enabled { get; set; }

        public int PollIntervalMinutes { get; set; }
    }
}
