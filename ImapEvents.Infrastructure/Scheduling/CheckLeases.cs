using System.Collections.Concurrent;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Scheduling;

/// <summary>A mailbox claimed for a scheduled check, with the time it was due.</summary>
public sealed record DueMailbox(Guid MailboxId, DateTimeOffset DueAt);

/// <summary>
/// The claims that keep checks of one mailbox from overlapping anywhere in the cluster: a row of check_schedule is
/// claimed by one process for a lease, which that process renews while the check runs (<see cref="LeaseRenewal"/>)
/// and gives back when the outcome is written. Claims of a process that died run out within one lease.
/// </summary>
public sealed class CheckLeases(IDbContextFactory<AppDbContext> dbFactory, IOptions<CheckDispatchOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<Guid, byte> held = new();

    /// <summary>This instance's name on its claims: its process, and which app instance in it (tests run several).</summary>
    public string Owner { get; } = $"{WorkerProcess.Current}/{Guid.NewGuid().ToString("N")[..8]}";

    private TimeSpan Lease => options.Value.Lease;

    /// <summary>The mailboxes this instance is checking now.</summary>
    public IReadOnlyCollection<Guid> Held => held.Keys.ToList();

    /// <summary>
    /// Claims up to <paramref name="max"/> of the mailboxes that are due and not being checked, earliest due first.
    /// Rows another instance is claiming at the same moment are skipped, not waited for.
    /// </summary>
    public async Task<IReadOnlyList<DueMailbox>> ClaimDueAsync(int max, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var until = now + Lease;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var claimed = await db.Database.SqlQuery<DueMailbox>(
            $"""
            UPDATE check_schedule AS s SET "LeasedBy" = {Owner}, "LeasedUntil" = {until}
            FROM (SELECT "MailboxId" FROM check_schedule
                  WHERE "DueAt" <= {now} AND ("LeasedUntil" IS NULL OR "LeasedUntil" < {now})
                  ORDER BY "DueAt"
                  LIMIT {max}
                  FOR UPDATE SKIP LOCKED) AS due
            WHERE s."MailboxId" = due."MailboxId"
            RETURNING s."MailboxId", s."DueAt"
            """).ToListAsync(cancellationToken);
        foreach (var mailbox in claimed)
        {
            held[mailbox.MailboxId] = 0;
        }

        return claimed;
    }

    /// <summary>Claims one mailbox for Check now, whatever its due time; false when it is being checked.</summary>
    public async Task<bool> TryClaimAsync(Mailbox mailbox, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var now = time.GetUtcNow();
            var until = now + Lease;
            var claimed = await db.Database.ExecuteSqlAsync(
                $"""
                UPDATE check_schedule SET "LeasedBy" = {Owner}, "LeasedUntil" = {until}
                WHERE "MailboxId" = {mailbox.Id} AND ("LeasedUntil" IS NULL OR "LeasedUntil" < {now})
                """,
                cancellationToken);
            if (claimed == 1)
            {
                held[mailbox.Id] = 0;
                return true;
            }

            // A mailbox whose row is missing (written before scheduling had rows, or by hand) gets one, then is claimed.
            if (await MailboxSchedule.InsertIfMissingAsync(db, mailbox, now, cancellationToken) == 0)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Gives a claim back without touching the due time (Check now, or a check stopped by a shutdown).</summary>
    /// <param name="unschedule">Clears the due time too: the mailbox turned out to be disabled.</param>
    public async Task ReleaseAsync(IReadOnlyCollection<Guid> mailboxIds, CancellationToken cancellationToken, bool unschedule = false)
    {
        if (mailboxIds.Count == 0)
        {
            return;
        }

        var ids = mailboxIds.ToArray();
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await db.Database.ExecuteSqlAsync(
                $"""
                UPDATE check_schedule SET "LeasedBy" = NULL, "LeasedUntil" = NULL,
                    "DueAt" = CASE WHEN {unschedule} THEN NULL ELSE "DueAt" END
                WHERE "MailboxId" = ANY({ids}) AND "LeasedBy" = {Owner}
                """,
                cancellationToken);
        }
        finally
        {
            Forget(ids);
        }
    }

    /// <summary>
    /// In the transaction that writes the checks' outcomes: gives the claims back and sets each mailbox's next due time.
    /// A claim that ran out and was taken by another instance meanwhile is left to that one.
    /// </summary>
    internal static Task<int> ReleaseWithNextDueAsync(
        AppDbContext db, string owner, IReadOnlyList<(Guid MailboxId, DateTimeOffset? NextDue)> mailboxes, CancellationToken cancellationToken)
    {
        var ids = mailboxes.Select(m => m.MailboxId).ToArray();
        var dues = mailboxes.Select(m => m.NextDue).ToArray();
        return db.Database.ExecuteSqlAsync(
            $"""
            UPDATE check_schedule AS s SET "LeasedBy" = NULL, "LeasedUntil" = NULL, "DueAt" = v.due
            FROM unnest({ids}, {dues}) AS v(id, due)
            WHERE s."MailboxId" = v.id AND s."LeasedBy" = {owner}
            """,
            cancellationToken);
    }

    internal void Forget(IEnumerable<Guid> mailboxIds)
    {
        foreach (var id in mailboxIds)
        {
            held.TryRemove(id, out _);
        }
    }

    /// <summary>Extends every claim this instance holds; called a few times within each lease.</summary>
    public async Task RenewAsync(CancellationToken cancellationToken)
    {
        var ids = held.Keys.ToArray();
        if (ids.Length == 0)
        {
            return;
        }

        var until = time.GetUtcNow() + Lease;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync(
            $"""
            UPDATE check_schedule SET "LeasedUntil" = {until}
            WHERE "MailboxId" = ANY({ids}) AND "LeasedBy" = {Owner}
            """,
            cancellationToken);
    }
}
