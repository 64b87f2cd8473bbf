using Hangfire;
using ImapEvents.Core.Events;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Retention;

/// <summary>What one run of <see cref="RetentionJob"/> removed, counted batch by batch.</summary>
public sealed class PurgedRecords
{
    public int Events { get; internal set; }

    public int Deliveries { get; internal set; }

    public int Attempts { get; internal set; }

    public int Checks { get; internal set; }

    public int Incidents { get; internal set; }

    public int NotificationGroups { get; internal set; }

    public int MessageBodies { get; internal set; }

    public bool Any => Events + Deliveries + Attempts + Checks + Incidents + NotificationGroups + MessageBodies > 0;
}

/// <summary>
/// Purges history older than Retention:Days, every hour, so each run has about an hour's worth to do. Every batch of at
/// most Retention:BatchSize rows is its own short transaction, so a first run over years of history never holds long
/// locks nor grows one huge transaction; it goes on batch after batch until nothing old is left. What is still in use
/// stays, however old: an open incident's events (its escalation reads them), an event whose rules were never
/// evaluated or whose deliveries are not finished, an event of a group not sent yet, a check still running.
/// Imported messages keep their rows, which stop a message still on the server from being imported again; only
/// their bodies go.
/// </summary>
public sealed class RetentionJob(
    IDbContextFactory<AppDbContext> dbFactory,
    IOptions<RetentionOptions> options,
    IOptions<ImapCheckOptions> checkOptions,
    TimeProvider time,
    ILogger<RetentionJob> logger)
{
    public const string RecurringJobId = "purge-old-records";

    /// <summary>A delivery in one of these states has nothing left to do; in any other it is kept, with its event.</summary>
    private static readonly List<DeliveryStatus> FinishedStatuses = Enum.GetValues<DeliveryStatus>().Where(IsFinished).ToList();

    /// <summary>The same, as stored.</summary>
    private static readonly string[] FinishedDeliveries = FinishedStatuses.Select(s => s.ToString()).ToArray();

    private int BatchSize => options.Value.BatchSize;

    public static void Schedule(IRecurringJobManager recurringJobs) =>
        recurringJobs.AddOrUpdate<RetentionJob>(RecurringJobId, JobQueues.Default, job => job.RunAsync(CancellationToken.None), Cron.Hourly());

    /// <remarks>
    /// Runs at the same time (a run started by hand during the hourly one) are safe: each batch takes its rows with
    /// SKIP LOCKED, so they share the work and never wait on each other.
    /// </remarks>
    [AutomaticRetry(Attempts = 0)]
    public async Task<PurgedRecords> RunAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.Period;
        var purged = new PurgedRecords();

        // Events first: a check, an incident or a group is kept while an event refers to it.
        await PurgeEventsAsync(cutoff, purged, cancellationToken);
        await RepeatAsync(token => PurgeChecksAsync(cutoff, purged, token), cancellationToken);
        await RepeatAsync(token => PurgeClosedIncidentsAsync(cutoff, purged, token), cancellationToken);
        await RepeatAsync(token => PurgeSentGroupsAsync(cutoff, purged, token), cancellationToken);
        await RepeatAsync(token => EmptyMessageBodiesAsync(cutoff, purged, token), cancellationToken);

        if (purged.Any)
        {
            logger.LogInformation(
                "Purged what was older than {Days} days (before {Cutoff:u}): {Events} event(s), {Deliveries} delivery(ies), {Attempts} delivery attempt(s), " +
                "{Checks} check(s), {Incidents} closed incident(s), {Groups} notification group(s); emptied {Bodies} imported message body(ies)",
                options.Value.Days, cutoff, purged.Events, purged.Deliveries, purged.Attempts, purged.Checks, purged.Incidents,
                purged.NotificationGroups, purged.MessageBodies);
        }

        return purged;
    }

    private static bool IsFinished(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Delivered or DeliveryStatus.Failed or DeliveryStatus.Suppressed => true,
        DeliveryStatus.Pending or DeliveryStatus.Sending or DeliveryStatus.Retrying => false,
    };

    /// <summary>Runs batches until one comes back short: nothing older is left, or the rest is locked by someone and waits for the next run.</summary>
    /// <param name="batch">One batch, returning how many rows it took.</param>
    private async Task RepeatAsync(Func<CancellationToken, Task<int>> batch, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await batch(cancellationToken) < BatchSize)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Old events with their deliveries and attempts (their rule matches go by cascade), and the finished deliveries older
    /// than the cutoff of old events that are kept (an open incident's first failure, say). Every delivery belongs to an
    /// event at least as old as itself, so walking the old events finds every old delivery too.
    /// </summary>
    /// <remarks>
    /// The old events are walked type by type, each in time order, a batch at a time, stepping over those still in use.
    /// A search for "the oldest events not in use" would read the kept ones again in every batch. Type by type because the
    /// index on (Type, OccurredAt) is the one that has events in time order: imap_events has no index on OccurredAt alone
    /// (the model's HasIndex(OccurredAt) was taken over by the partial IX_imap_events_undispatched), and without one
    /// PostgreSQL read and sorted every old event for each batch (measured: 1 to 1.5 s a batch for 200,000 old events).
    /// </remarks>
    private async Task PurgeEventsAsync(DateTimeOffset cutoff, PurgedRecords purged, CancellationToken cancellationToken)
    {
        foreach (var type in Enum.GetValues<ImapEventType>().Select(t => t.ToString()))
        {
            var after = new EventKey { OccurredAt = DateTimeOffset.MinValue, Id = Guid.Empty };
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
                // The condition on OccurredAt alone is what the index can start the walk from; the row comparison steps
                // past events of the same time already seen (a sweep raises many at one instant).
                var batch = await db.Database.SqlQuery<EventKey>($"""
                    SELECT "Id", "OccurredAt"
                    FROM imap_events
                    WHERE "Type" = {type} AND "OccurredAt" < {cutoff}
                      AND "OccurredAt" >= {after.OccurredAt} AND ("OccurredAt", "Id") > ({after.OccurredAt}, {after.Id})
                    ORDER BY "OccurredAt", "Id"
                    LIMIT {BatchSize}
                    """).ToListAsync(cancellationToken);
                if (batch.Count > 0)
                {
                    await PurgeEventBatchAsync(db, batch.Select(e => e.Id).ToList(), cutoff, purged, cancellationToken);
                }

                if (batch.Count < BatchSize)
                {
                    break;
                }

                after = batch[^1];
            }
        }
    }

    /// <summary>Deletes those of these old events no longer in use, and the old finished deliveries of the others, in one transaction.</summary>
    private static async Task PurgeEventBatchAsync(
        AppDbContext db, List<Guid> oldEvents, DateTimeOffset cutoff, PurgedRecords purged, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The row lock keeps a dispatch of the same event (which claims it with an UPDATE) from adding deliveries meanwhile;
        // one being dispatched right now is skipped. Events of groups not sent yet stay, since the sending reads them
        // (such groups are a grouping window's worth at most).
        var unused = await db.Database.SqlQuery<Guid>($"""
            SELECT e."Id" AS "Value"
            FROM imap_events AS e
            WHERE e."Id" = ANY ({oldEvents})
              AND e."DispatchedAt" IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM incidents AS i WHERE i."Id" = e."IncidentId" AND i."ClosedAt" IS NULL)
              AND NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d."EventId" = e."Id" AND d."Status" <> ALL ({FinishedDeliveries}))
              AND e."Id" NOT IN (
                  SELECT m."EventId" FROM notification_groups AS g
                  JOIN notification_group_members AS m ON m."GroupId" = g."Id"
                  WHERE g."SentAt" IS NULL)
            FOR UPDATE OF e SKIP LOCKED
            """).ToListAsync(cancellationToken);

        // Lists of keys, not subqueries: each delete then finds its rows by index, whatever the tables' sizes.
        var deliveryIds = await db.Deliveries
            .Where(d => oldEvents.Contains(d.EventId)
                && (unused.Contains(d.EventId) || (d.CreatedAt < cutoff && FinishedStatuses.Contains(d.Status))))
            .Select(d => d.Id)
            .ToListAsync(cancellationToken);
        var attempts = await db.DeliveryAttempts.Where(a => deliveryIds.Contains(a.DeliveryId)).ExecuteDeleteAsync(cancellationToken);
        var deliveries = await db.Deliveries.Where(d => deliveryIds.Contains(d.Id)).ExecuteDeleteAsync(cancellationToken);
        var events = await db.Events.Where(e => unused.Contains(e.Id)).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        purged.Attempts += attempts;
        purged.Deliveries += deliveries;
        purged.Events += events;
    }

    /// <summary>
    /// Finished checks no kept event refers to. Events have no foreign key to their check (CheckId is plain data), so
    /// the reference is looked up by the event's mailbox and time, which the (MailboxId, OccurredAt) index answers: a
    /// check's event is raised while it runs, and no check runs longer than <see cref="ImapCheckOptions.LongestCheck"/>.
    /// </summary>
    private async Task<int> PurgeChecksAsync(DateTimeOffset cutoff, PurgedRecords purged, CancellationToken cancellationToken)
    {
        var longest = checkOptions.Value.LongestCheck;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Here and below, ANY (ARRAY(…)) finds the chosen rows by their key; with IN (…) PostgreSQL may join them
        // to a scan of the whole table (measured on the message bodies: every row read to change 5,000).
        var checks = await db.Database.ExecuteSqlAsync($"""
            DELETE FROM mailbox_checks
            WHERE "Id" = ANY (ARRAY(
                SELECT c."Id"
                FROM mailbox_checks AS c
                WHERE c."StartedAt" < {cutoff}
                  AND c."Outcome" IS NOT NULL
                  AND NOT EXISTS (
                      SELECT 1 FROM imap_events AS e
                      WHERE e."MailboxId" = c."MailboxId"
                        AND e."OccurredAt" >= c."StartedAt" AND e."OccurredAt" <= c."StartedAt" + {longest}
                        AND e."CheckId" = c."Id")
                ORDER BY c."StartedAt"
                LIMIT {BatchSize}
                FOR UPDATE SKIP LOCKED))
            """, cancellationToken);
        purged.Checks += checks;
        return checks;
    }

    /// <summary>
    /// Incidents closed before the cutoff once none of their events is left (their timeline and notification records go
    /// by cascade). All of a closed incident's events happened before it closed, so they are purged in the same run unless
    /// one is still in use; the incident waits for that one, and the Events page never links to an incident that is gone.
    /// An open incident stays, however old: its mailbox's health points to it and its next check continues it.
    /// </summary>
    private async Task<int> PurgeClosedIncidentsAsync(DateTimeOffset cutoff, PurgedRecords purged, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // OpenedAt is indexed, ClosedAt is not; an incident closed before the cutoff opened before it too.
        var incidents = await db.Database.ExecuteSqlAsync($"""
            DELETE FROM incidents
            WHERE "Id" = ANY (ARRAY(
                SELECT i."Id"
                FROM incidents AS i
                WHERE i."OpenedAt" < {cutoff} AND i."ClosedAt" < {cutoff}
                  AND NOT EXISTS (SELECT 1 FROM imap_events AS e WHERE e."IncidentId" = i."Id")
                ORDER BY i."OpenedAt"
                LIMIT {BatchSize}
                FOR UPDATE SKIP LOCKED))
            """, cancellationToken);
        purged.Incidents += incidents;
        return incidents;
    }

    /// <summary>
    /// "Group by server" groups sent before the cutoff once none of their events is left (their members go by cascade).
    /// A group's deliveries carry one of its events, so a group whose events are gone has no delivery left to read it.
    /// SentAt has no index: there is one group per grouped notification, few beside the events.
    /// </summary>
    private async Task<int> PurgeSentGroupsAsync(DateTimeOffset cutoff, PurgedRecords purged, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var groups = await db.Database.ExecuteSqlAsync($"""
            DELETE FROM notification_groups
            WHERE "Id" = ANY (ARRAY(
                SELECT g."Id"
                FROM notification_groups AS g
                WHERE g."SentAt" < {cutoff}
                  AND NOT EXISTS (
                      SELECT 1 FROM notification_group_members AS m
                      JOIN imap_events AS e ON e."Id" = m."EventId"
                      WHERE m."GroupId" = g."Id")
                LIMIT {BatchSize}
                FOR UPDATE SKIP LOCKED))
            """, cancellationToken);
        purged.NotificationGroups += groups;
        return groups;
    }

    /// <summary>
    /// Empties the bodies of messages imported before the cutoff. The rows stay: their UIDVALIDITY and UID, and their
    /// Message-ID and size, are what keep a message still on the server from being imported twice. The condition is the
    /// one of the partial index IX_imported_messages_with_body, so only bodies not yet emptied are read.
    /// </summary>
    private async Task<int> EmptyMessageBodiesAsync(DateTimeOffset cutoff, PurgedRecords purged, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var bodies = await db.Database.ExecuteSqlAsync($"""
            UPDATE imported_messages SET "RawMime" = ''::bytea
            WHERE "Id" = ANY (ARRAY(
                SELECT "Id"
                FROM imported_messages
                WHERE octet_length("RawMime") > 0 AND "ImportedAt" < {cutoff}
                ORDER BY "ImportedAt"
                LIMIT {BatchSize}
                FOR UPDATE SKIP LOCKED))
            """, cancellationToken);
        purged.MessageBodies += bodies;
        return bodies;
    }

    /// <summary>Where the walk over old events stands.</summary>
    internal sealed class EventKey
    {
        public Guid Id { get; set; }

        public DateTimeOffset OccurredAt { get; set; }
    }
}
