using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Infrastructure.Incidents;

public enum IncidentState
{
    Open = 1,
    Closed = 2,
}

/// <param name="From">With <paramref name="To"/>: incidents that were open at any moment of the range, not only those that began in it.</param>
/// <param name="Acknowledged">True: only acknowledged incidents; false: only those nobody acknowledged.</param>
public sealed record IncidentQuery(
    IncidentState? State = null,
    Guid? MailboxId = null,
    CheckStage? Stage = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    bool? Acknowledged = null,
    int Page = 0,
    int PageSize = 25);

/// <summary>An incident as the lists show it.</summary>
/// <param name="ClosedReason">Why it ended without a recovery (the mailbox was disabled or deleted); null while open or once recovered.</param>
public sealed record IncidentRow(Incident Incident, string? ClosedReason)
{
    public bool Recovered => Incident.ClosedAt is not null && ClosedReason is null;
}

/// <summary>An incident with what happened in it.</summary>
/// <param name="Timeline">Its changes, oldest first; the newest <see cref="IncidentQueries.TimelineLimit"/> of <paramref name="ChangeCount"/>.</param>
/// <param name="LatestEvents">Its newest events (the Events page lists all <paramref name="EventCount"/>).</param>
/// <param name="Deliveries">The actions fired for its events, newest first; the newest <see cref="IncidentQueries.DeliveryLimit"/> of <paramref name="DeliveryCount"/>.</param>
/// <param name="Notifications">What each rule did about it (once per incident, escalation, recovery).</param>
public sealed record IncidentDetail(
    IncidentRow Row,
    IReadOnlyList<IncidentChange> Timeline,
    int ChangeCount,
    IReadOnlyList<ImapEvent> LatestEvents,
    int EventCount,
    IReadOnlyList<DeliveryRow> Deliveries,
    int DeliveryCount,
    IReadOnlyList<IncidentNotification> Notifications);

/// <summary>How available one mailbox was over a window that ends now (from its creation when it is younger).</summary>
/// <param name="Availability">1 − downtime / window, between 0 and 1.</param>
/// <param name="Incidents">Incidents open at any moment of the window.</param>
/// <param name="MeanTimeToRecover">The mean duration of the incidents that recovered in the window (from their first failed check); null when none did.</param>
public sealed record MailboxAvailability(
    Guid MailboxId,
    string MailboxName,
    double Availability,
    TimeSpan Downtime,
    TimeSpan Window,
    int Incidents,
    int OpenIncidents,
    TimeSpan? MeanTimeToRecover);

/// <summary>The Incidents pages and the dashboard: incidents, open ones first, filtered and paged in PostgreSQL.</summary>
public sealed class IncidentQueries(IDbContextFactory<AppDbContext> dbFactory)
{
    public const int TimelineLimit = 200;

    public const int EventLimit = 20;

    public const int DeliveryLimit = 50;

    /// <summary>Open incidents first, newest first; then closed ones, the most recently ended first.</summary>
    public async Task<ListPage<IncidentRow>> ListAsync(IncidentQuery query, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var incidents = db.Incidents.AsNoTracking();
        incidents = query.State switch
        {
            IncidentState.Open => incidents.Where(i => i.ClosedAt == null),
            IncidentState.Closed => incidents.Where(i => i.ClosedAt != null),
            null => incidents,
        };

        if (query.MailboxId is { } mailboxId)
        {
            incidents = incidents.Where(i => i.MailboxId == mailboxId);
        }

        if (query.Stage is { } stage)
        {
            incidents = incidents.Where(i => i.Stage == stage);
        }

        // PostgreSQL's timestamptz takes UTC only: a moment in the reader's zone is the same moment in UTC.
        if (query.From?.ToUniversalTime() is { } from)
        {
            incidents = incidents.Where(i => i.ClosedAt == null || i.ClosedAt >= from);
        }

        if (query.To?.ToUniversalTime() is { } to)
        {
            incidents = incidents.Where(i => i.OpenedAt < to);
        }

        incidents = query.Acknowledged switch
        {
            true => incidents.Where(i => i.AcknowledgedAt != null),
            false => incidents.Where(i => i.AcknowledgedAt == null),
            null => incidents,
        };

        var total = await incidents.CountAsync(cancellationToken);
        var page = await Rows(db, incidents
                .OrderBy(i => i.ClosedAt == null ? 0 : 1)
                .ThenByDescending(i => i.ClosedAt)
                .ThenByDescending(i => i.OpenedAt)
                .ThenByDescending(i => i.Id)
                .Skip(query.Page * query.PageSize)
                .Take(query.PageSize))
            .ToListAsync(cancellationToken);
        return new ListPage<IncidentRow>(page, total);
    }

    public async Task<IncidentRow?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await Rows(db, db.Incidents.AsNoTracking().Where(i => i.Id == id)).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>One incident with its timeline, its newest events and the deliveries they caused; null when there is no such incident.</summary>
    public async Task<IncidentDetail?> DetailAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await Rows(db, db.Incidents.AsNoTracking().Where(i => i.Id == id)).SingleOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return null;
        }

        var changes = db.IncidentChanges.AsNoTracking().Where(c => c.IncidentId == id);
        var changeCount = await changes.CountAsync(cancellationToken);
        var timeline = await changes.OrderByDescending(c => c.At).ThenByDescending(c => c.Id).Take(TimelineLimit).ToListAsync(cancellationToken);
        timeline.Reverse();

        var events = db.Events.AsNoTracking().Where(e => e.IncidentId == id);
        var eventCount = await events.CountAsync(cancellationToken);
        var latestEvents = await events.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id).Take(EventLimit).ToListAsync(cancellationToken);

        // A "Group by server" notification carries the first event of its group, which may belong to another mailbox's incident.
        var groups = db.NotificationGroupMembers.Where(m => m.IncidentId == id).Select(m => m.GroupId);
        var deliveries = db.Deliveries.AsNoTracking()
            .Where(d => events.Any(e => e.Id == d.EventId) || (d.GroupId != null && groups.Contains(d.GroupId.Value)));
        var deliveryCount = await deliveries.CountAsync(cancellationToken);
        var deliveryRows = await deliveries
            .OrderByDescending(d => d.CreatedAt).ThenBy(d => d.RuleName).ThenBy(d => d.ActionPosition)
            .Take(DeliveryLimit)
            .Select(EventQueries.ToDeliveryRow)
            .ToListAsync(cancellationToken);

        var notifications = await db.IncidentNotifications.AsNoTracking()
            .Where(n => n.IncidentId == id)
            .OrderBy(n => n.FirstNotifiedAt).ThenBy(n => n.RuleName)
            .ToListAsync(cancellationToken);

        return new IncidentDetail(row, timeline, changeCount, latestEvents, eventCount, deliveryRows, deliveryCount, notifications);
    }

    /// <summary>
    /// Per mailbox, over the <paramref name="window"/> that ends at <paramref name="now"/> (or since the mailbox was
    /// added, when that is later): availability, downtime, incidents and mean time to recover. The least available first.
    /// </summary>
    /// <param name="limit">How many mailboxes at most; with thousands of mailboxes the dashboard shows the worst.</param>
    public async Task<IReadOnlyList<MailboxAvailability>> AvailabilityAsync(DateTimeOffset now, TimeSpan window, int limit, CancellationToken cancellationToken)
    {
        now = now.ToUniversalTime();
        var since = now - window;
        var closed = nameof(IncidentChangeKind.Closed);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // One query for every mailbox: each incident's downtime is clipped to the mailbox's window, and an open
        // incident counts up to now. (GREATEST and LEAST skip nulls, so a mailbox without incidents is filtered out of
        // the sum, not left to the nulls of its outer join.) Incidents ended because the mailbox was disabled count as downtime until then,
        // but not as recoveries.
        var rows = await db.Database.SqlQuery<AvailabilityRow>($"""
            WITH windows AS (
                SELECT m."Id", m."DisplayName", GREATEST(m."CreatedAt", {since}) AS "Start"
                FROM mailboxes m
                WHERE m."CreatedAt" < {now}
            ), per_mailbox AS (
                SELECT w."Id", w."DisplayName", w."Start",
                    COALESCE(SUM(GREATEST(EXTRACT(EPOCH FROM LEAST(COALESCE(i."ClosedAt", {now}), {now}) - GREATEST(i."OpenedAt", w."Start")), 0)) FILTER (WHERE i."Id" IS NOT NULL), 0)::double precision AS "DowntimeSeconds",
                    COUNT(i."Id")::int AS "Incidents",
                    COUNT(i."Id") FILTER (WHERE i."ClosedAt" IS NULL)::int AS "OpenIncidents",
                    (AVG(EXTRACT(EPOCH FROM i."ClosedAt" - i."OpenedAt")) FILTER (
                        WHERE i."ClosedAt" IS NOT NULL AND i."ClosedAt" >= w."Start"
                        AND NOT EXISTS (SELECT 1 FROM incident_changes c WHERE c."IncidentId" = i."Id" AND c."Kind" = {closed})))::double precision AS "MeanSecondsToRecover"
                FROM windows w
                LEFT JOIN incidents i ON i."MailboxId" = w."Id" AND i."OpenedAt" < {now} AND (i."ClosedAt" IS NULL OR i."ClosedAt" > w."Start")
                GROUP BY w."Id", w."DisplayName", w."Start"
            )
            SELECT "Id" AS "MailboxId", "DisplayName" AS "MailboxName", "DowntimeSeconds",
                EXTRACT(EPOCH FROM {now} - "Start")::double precision AS "WindowSeconds",
                "Incidents", "OpenIncidents", "MeanSecondsToRecover"
            FROM per_mailbox
            ORDER BY "DowntimeSeconds" / GREATEST(EXTRACT(EPOCH FROM {now} - "Start"), 1) DESC, "DisplayName", "Id"
            LIMIT {limit}
            """).ToListAsync(cancellationToken);

        return rows.Select(r => new MailboxAvailability(
                r.MailboxId,
                r.MailboxName,
                r.WindowSeconds <= 0 ? 1 : Math.Clamp(1 - (r.DowntimeSeconds / r.WindowSeconds), 0, 1),
                TimeSpan.FromSeconds(r.DowntimeSeconds),
                TimeSpan.FromSeconds(Math.Max(0, r.WindowSeconds)),
                r.Incidents,
                r.OpenIncidents,
                r.MeanSecondsToRecover is { } mean ? TimeSpan.FromSeconds(mean) : null))
            .ToList();
    }

    private sealed record AvailabilityRow(
        Guid MailboxId, string MailboxName, double DowntimeSeconds, double WindowSeconds, int Incidents, int OpenIncidents, double? MeanSecondsToRecover);

    /// <summary>Each incident with why it ended, when that was not a recovery (one correlated lookup in the same query).</summary>
    private static IQueryable<IncidentRow> Rows(AppDbContext db, IQueryable<Incident> incidents) =>
        incidents.Select(i => new IncidentRow(
            i,
            db.IncidentChanges.Where(c => c.IncidentId == i.Id && c.Kind == IncidentChangeKind.Closed).OrderBy(c => c.Id).Select(c => c.Message).FirstOrDefault()));
}
