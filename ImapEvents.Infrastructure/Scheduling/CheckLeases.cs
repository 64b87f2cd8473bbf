using System.Collections.Concurrent;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Scheduling;

/// <summary>
/// A mailbox claimed for a scheduled check, with the time it was due and the claim's own name (<see cref="Claim"/>).
/// </summary>
/// <param name="Abandoned">
/// The claim before this one, when it ran out instead of being given back: the check under it never finished (its
/// process died, or lost the database for longer than a lease).
/// </param>
public sealed record DueMailbox(Guid MailboxId, DateTimeOffset DueAt, string Claim, string? Abandoned);

/// <summary>
/// The claims that keep checks of one mailbox from overlapping anywhere in the cluster: a row of check_schedule is
/// claimed by one process for a lease, which that process renews while the check runs (<see cref="LeaseRenewal"/>)
/// and gives back when the outcome is written. Claims of a process that died run out within one lease.
/// Each claim has a name of its own ("host:pid/instance#n" in LeasedBy): giving back or renewing one claim can never
/// touch a later claim of the same mailbox, by another instance or by this one.
/// </summary>
public sealed class CheckLeases(IDbContextFactory<AppDbContext> dbFactory, IOptions<CheckDispatchOptions> options, TimeProvider time)
{
    /// <summary>The mailboxes this instance is checking now, each with the name of its claim.</summary>
    private readonly ConcurrentDictionary<Guid, string> held = new();

    private long claims;

    /// <summary>This instance's name on its claims: its process, and which app instance in it (tests run several).</summary>
    public string Owner { get; } = $"{WorkerProcess.Current}/{Guid.NewGuid().ToString("N")[..8]}";

    private TimeSpan Lease => options.Value.Lease;

    /// <summary>The mailboxes this instance is checking now.</summary>
    public IReadOnlyCollection<Guid> Held => held.Keys.ToList();

    private string NewClaim(bool checkNow = false) => $"{Owner}#{(checkNow ? CheckNowMark : "")}{Interlocked.Increment(ref claims)}";

    private const string CheckNowMark = "now-";

    /// <summary>Whether a claim was Check now's: its check row was written when it started, and is closed by the interrupted-check sweep.</summary>
    public static bool IsCheckNowClaim(string claim) => claim.Contains($"#{CheckNowMark}", StringComparison.Ordinal);

    /// <summary>
    /// Claims up to <paramref name="max"/> of the mailboxes that are due and not being checked, earliest due first.
    /// Rows another instance is claiming at the same moment are skipped, not waited for; so are the mailboxes this
    /// instance is still checking, even when their claims ran out (the database was away longer than a lease).
    /// </summary>
    /// <param name="fullServers">
    /// Servers (<see cref="CheckSlots.ServerKey"/>) that have as many checks under way here as they may: their mailboxes
    /// stay due for another claim, while the other servers' mailboxes go ahead.
    /// </param>
    public async Task<IReadOnlyList<DueMailbox>> ClaimDueAsync(int max, IReadOnlyCollection<string> fullServers, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var until = now + Lease;
        var claim = NewClaim();
        var checking = held.Keys.ToArray();
        var full = fullServers.ToArray();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var claimed = await (full.Length == 0
            ? db.Database.SqlQuery<ClaimedRow>(
                $"""
                UPDATE check_schedule AS s SET "LeasedBy" = {claim}, "LeasedUntil" = {until}
                FROM (SELECT "MailboxId", "LeasedBy" AS "Previous" FROM check_schedule
                      WHERE "DueAt" <= {now} AND ("LeasedUntil" IS NULL OR "LeasedUntil" < {now})
                          AND NOT ("MailboxId" = ANY({checking}))
                      ORDER BY "DueAt"
                      LIMIT {max}
                      FOR UPDATE SKIP LOCKED) AS due
                WHERE s."MailboxId" = due."MailboxId"
                RETURNING s."MailboxId", s."DueAt", due."Previous"
                """)
            : db.Database.SqlQuery<ClaimedRow>(
                $"""
                UPDATE check_schedule AS s SET "LeasedBy" = {claim}, "LeasedUntil" = {until}
                FROM (SELECT c."MailboxId", c."LeasedBy" AS "Previous" FROM check_schedule AS c
                      WHERE c."DueAt" <= {now} AND (c."LeasedUntil" IS NULL OR c."LeasedUntil" < {now})
                          AND NOT (c."MailboxId" = ANY({checking}))
                          AND NOT EXISTS (SELECT 1 FROM mailboxes AS m WHERE m."Id" = c."MailboxId"
                                          AND lower(trim(m."ServerName")) || ':' || m."ServerPort" = ANY({full}))
                      ORDER BY c."DueAt"
                      LIMIT {max}
                      FOR UPDATE OF c SKIP LOCKED) AS due
                WHERE s."MailboxId" = due."MailboxId"
                RETURNING s."MailboxId", s."DueAt", due."Previous"
                """)).ToListAsync(cancellationToken);
        foreach (var row in claimed)
        {
            held[row.MailboxId] = claim;
        }

        return claimed.Select(row => new DueMailbox(row.MailboxId, row.DueAt, claim, row.Previous)).ToList();
    }

    /// <summary>Claims one mailbox for Check now, whatever its due time.</summary>
    /// <returns>The claim's name; null when the mailbox is being checked.</returns>
    public async Task<string?> TryClaimAsync(Mailbox mailbox, CancellationToken cancellationToken)
    {
        if (held.ContainsKey(mailbox.Id))
        {
            return null;
        }

        var claim = NewClaim(checkNow: true);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var now = time.GetUtcNow();
            var until = now + Lease;
            var claimed = await db.Database.ExecuteSqlAsync(
                $"""
                UPDATE check_schedule SET "LeasedBy" = {claim}, "LeasedUntil" = {until}
                WHERE "MailboxId" = {mailbox.Id} AND ("LeasedUntil" IS NULL OR "LeasedUntil" < {now})
                """,
                cancellationToken);
            if (claimed == 1)
            {
                held[mailbox.Id] = claim;
                return claim;
            }

            // A mailbox whose row is missing (written before scheduling had rows, or by hand) gets one, then is claimed.
            if (await MailboxSchedule.InsertIfMissingAsync(db, mailbox, now, cancellationToken) == 0)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>Gives claims back without touching the due time (Check now, or a check stopped by a shutdown).</summary>
    /// <param name="unschedule">Clears the due time too: the mailbox turned out to be disabled.</param>
    public async Task ReleaseAsync(IReadOnlyCollection<(Guid MailboxId, string Claim)> claimed, CancellationToken cancellationToken, bool unschedule = false)
    {
        if (claimed.Count == 0)
        {
            return;
        }

        var ids = claimed.Select(c => c.MailboxId).ToArray();
        var names = claimed.Select(c => c.Claim).ToArray();
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await db.Database.ExecuteSqlAsync(
                $"""
                UPDATE check_schedule AS s SET "LeasedBy" = NULL, "LeasedUntil" = NULL,
                    "DueAt" = CASE WHEN {unschedule} THEN NULL ELSE s."DueAt" END
                FROM unnest({ids}, {names}) AS c(id, claim)
                WHERE s."MailboxId" = c.id AND s."LeasedBy" = c.claim
                """,
                cancellationToken);
        }
        finally
        {
            Forget(claimed);
        }
    }

    /// <summary>Gives a claim back with a later due time, the mailbox left unchecked until then.</summary>
    public async Task PostponeAsync(Guid mailboxId, string claim, DateTimeOffset until, CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await db.Database.ExecuteSqlAsync(
                $"""
                UPDATE check_schedule SET "LeasedBy" = NULL, "LeasedUntil" = NULL, "DueAt" = {until}
                WHERE "MailboxId" = {mailboxId} AND "LeasedBy" = {claim}
                """,
                cancellationToken);
        }
        finally
        {
            Forget([(mailboxId, claim)]);
        }
    }

    /// <summary>
    /// Gives back the claim of a completed Check now (or check on save). A scheduled check due within half an interval
    /// would only repeat it, with a second event for the same failure, so it moves to the next place on the mailbox's
    /// grid after that.
    /// </summary>
    public async Task ReleaseAfterCheckNowAsync(Mailbox mailbox, string claim, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var soon = now + TimeSpan.FromMinutes(mailbox.PollIntervalMinutes) / 2;
        var later = PollSchedule.NextDue(mailbox.PollIntervalMinutes, mailbox.Id, soon);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await db.Database.ExecuteSqlAsync(
                $"""
                UPDATE check_schedule SET "LeasedBy" = NULL, "LeasedUntil" = NULL,
                    "DueAt" = CASE WHEN "DueAt" < {soon} THEN {later} ELSE "DueAt" END
                WHERE "MailboxId" = {mailbox.Id} AND "LeasedBy" = {claim}
                """,
                cancellationToken);
        }
        finally
        {
            Forget([(mailbox.Id, claim)]);
        }
    }

    /// <summary>
    /// In the transaction that writes the checks' outcomes: gives the claims back and sets each mailbox's next due time.
    /// A claim that ran out and was taken meanwhile is left to its new holder.
    /// </summary>
    internal static Task<int> ReleaseWithNextDueAsync(
        AppDbContext db, IReadOnlyList<(Guid MailboxId, string Claim, DateTimeOffset? NextDue)> mailboxes, CancellationToken cancellationToken)
    {
        var ids = mailboxes.Select(m => m.MailboxId).ToArray();
        var names = mailboxes.Select(m => m.Claim).ToArray();
        var dues = mailboxes.Select(m => m.NextDue).ToArray();
        return db.Database.ExecuteSqlAsync(
            $"""
            UPDATE check_schedule AS s SET "LeasedBy" = NULL, "LeasedUntil" = NULL, "DueAt" = v.due
            FROM unnest({ids}, {names}, {dues}) AS v(id, claim, due)
            WHERE s."MailboxId" = v.id AND s."LeasedBy" = v.claim
            """,
            cancellationToken);
    }

    /// <summary>Stops renewing these claims (their outcome is written, or cannot be). A later claim of the same mailbox is kept.</summary>
    internal void Forget(IEnumerable<(Guid MailboxId, string Claim)> claimed)
    {
        foreach (var (id, claim) in claimed)
        {
            held.TryRemove(new KeyValuePair<Guid, string>(id, claim));
        }
    }

    /// <summary>Extends every claim this instance holds; called a few times within each lease.</summary>
    public async Task RenewAsync(CancellationToken cancellationToken)
    {
        var holding = held.ToArray();
        if (holding.Length == 0)
        {
            return;
        }

        var ids = holding.Select(h => h.Key).ToArray();
        var names = holding.Select(h => h.Value).ToArray();
        var until = time.GetUtcNow() + Lease;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync(
            $"""
            UPDATE check_schedule AS s SET "LeasedUntil" = {until}
            FROM unnest({ids}, {names}) AS c(id, claim)
            WHERE s."MailboxId" = c.id AND s."LeasedBy" = c.claim
            """,
            cancellationToken);
    }

    private sealed record ClaimedRow(Guid MailboxId, DateTimeOffset DueAt, string? Previous);
}
