using System.Linq.Expressions;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Infrastructure.Events;

public sealed record EventQuery(
    ImapEventType? Type = null,
    Guid? MailboxId = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    int Page = 0,
    int PageSize = 50,
    DeliveryStatus? Delivery = null,
    Guid? IncidentId = null);

public sealed record MailboxOption(Guid Id, string DisplayName);

/// <param name="Held">Why the rule matched but did not fire; null when it fired.</param>
/// <param name="Grouped">The firing went into a "Group by server" notification, which carries the group's first event.</param>
public sealed record MatchedRule(Guid RuleId, string RuleName, RuleMatchHold? Held, bool Grouped = false)
{
    public bool Snoozed => Held == RuleMatchHold.Snoozed;
}

/// <summary>One action an event fired, as the Events page shows it.</summary>
/// <param name="Trigger">Why it was made: the event itself, or the incident's recovery, escalation or the end of a maintenance window.</param>
public sealed record DeliveryRow(
    Guid Id,
    Guid EventId,
    string RuleName,
    ActionKind Kind,
    int ActionPosition,
    DeliveryStatus Status,
    int Attempts,
    int? LastResponseCode,
    string? LastError,
    string? JobId,
    int SuppressedCount,
    DeliveryTrigger Trigger,
    DateTimeOffset CreatedAt);

/// <summary>How the actions fired since a moment fared (test events included: they use the same receivers).</summary>
public sealed record DeliverySummary(int Delivered, int Failed, int InProgress, int Suppressed);

/// <summary>Events per UTC day and type, oldest day first (test events left out).</summary>
public sealed record EventHistogram(IReadOnlyList<DateOnly> Days, IReadOnlyDictionary<ImapEventType, int[]> CountsByType);

public sealed record EventRow(ImapEvent Event, IReadOnlyList<MatchedRule> MatchedRules, IReadOnlyList<DeliveryRow> Deliveries);

/// <summary>The Events page: stored events, newest first, filtered and paged in PostgreSQL.</summary>
public sealed class EventQueries(IDbContextFactory<AppDbContext> dbFactory)
{
    public async Task<ListPage<EventRow>> ListWithRulesAsync(EventQuery query, CancellationToken cancellationToken)
    {
        var page = await ListAsync(query, cancellationToken);
        var ids = page.Items.Select(e => e.Id).ToArray();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var matches = (await db.RuleMatches.AsNoTracking().Where(m => ids.Contains(m.EventId)).ToListAsync(cancellationToken))
            // Matches recorded before holds had reasons say only whether the rule was snoozed.
            .ToLookup(m => m.EventId, m => new MatchedRule(m.RuleId, m.RuleName, m.Held ?? (m.Snoozed ? RuleMatchHold.Snoozed : null), m.GroupId != null));
        var deliveries = (await DeliveryRows(db.Deliveries.Where(d => ids.Contains(d.EventId))).ToListAsync(cancellationToken))
            .ToLookup(d => d.EventId);
        return new ListPage<EventRow>(
            page.Items.Select(e => new EventRow(e, matches[e.Id].OrderBy(m => m.RuleName).ToList(), deliveries[e.Id].ToList())).ToList(),
            page.TotalCount);
    }

    /// <summary>
    /// The dashboard chart: events per type for each of the last <paramref name="days"/> days of <paramref name="zone"/>
    /// (the viewer's calendar), today included.
    /// </summary>
    public async Task<EventHistogram> DailyCountsAsync(DateTimeOffset now, int days, TimeZoneInfo zone, CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var first = today.AddDays(1 - days);
        // The first day begins at most 14 hours before its UTC midnight (UTC+14); what is earlier is left out below.
        var since = new DateTimeOffset(first.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddHours(-15);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Counted in PostgreSQL by quarter hour (an event storm is millions of rows, never loaded here), placed in the
        // zone's days here: PostgreSQL's own zone names need not match this machine's.
        var rows = await db.Database.SqlQuery<QuarterCount>($"""
            SELECT floor(extract(epoch FROM "OccurredAt") / 900)::bigint AS "Quarter", "Type", count(*)::int AS "Count"
            FROM imap_events
            WHERE "OccurredAt" >= {since} AND NOT "IsTest"
            GROUP BY 1, 2
            """).ToListAsync(cancellationToken);

        var dayList = Enumerable.Range(0, days).Select(first.AddDays).ToList();
        var counts = Enum.GetValues<ImapEventType>().ToDictionary(t => t, _ => new int[days]);
        foreach (var row in rows)
        {
            var local = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(row.Quarter * 900), zone);
            var dayIndex = DateOnly.FromDateTime(local.DateTime).DayNumber - first.DayNumber;
            if (dayIndex >= 0 && dayIndex < days && Enum.TryParse<ImapEventType>(row.Type, out var type) && counts.TryGetValue(type, out var perDay))
            {
                perDay[dayIndex] += row.Count;
            }
        }

        return new EventHistogram(dayList, counts);
    }

    private sealed record QuarterCount(long Quarter, string Type, int Count);

    public async Task<DeliverySummary> DeliverySummaryAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var counts = await db.Deliveries.AsNoTracking()
            .Where(d => d.CreatedAt >= since)
            .GroupBy(d => d.Status)
            .Select(g => new { Status = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Status, g => g.Count, cancellationToken);
        int Count(params DeliveryStatus[] statuses) => statuses.Sum(s => counts.GetValueOrDefault(s));
        return new DeliverySummary(
            Count(DeliveryStatus.Delivered),
            Count(DeliveryStatus.Failed),
            Count(DeliveryStatus.Pending, DeliveryStatus.Sending, DeliveryStatus.Retrying),
            Count(DeliveryStatus.Suppressed));
    }

    /// <summary>The actions one event fired, in rule and action order (what "Send test event" watches).</summary>
    public async Task<IReadOnlyList<DeliveryRow>> DeliveriesAsync(Guid eventId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await DeliveryRows(db.Deliveries.Where(d => d.EventId == eventId)).ToListAsync(cancellationToken);
    }

    /// <summary>A delivery as the Events and Incident pages show it.</summary>
    internal static readonly Expression<Func<Delivery, DeliveryRow>> ToDeliveryRow = d => new DeliveryRow(
        d.Id, d.EventId, d.RuleName, d.Kind, d.ActionPosition, d.Status, d.Attempts, d.LastResponseCode, d.LastError, d.JobId, d.SuppressedCount, d.Trigger, d.CreatedAt);

    /// <summary>Deliveries as the Events page shows them, in rule and action order.</summary>
    private static IQueryable<DeliveryRow> DeliveryRows(IQueryable<Delivery> deliveries) => deliveries
        .AsNoTracking()
        .OrderBy(d => d.RuleName).ThenBy(d => d.ActionPosition)
        .Select(ToDeliveryRow);

    /// <summary>Every attempt of one delivery, first to last.</summary>
    public async Task<IReadOnlyList<DeliveryAttempt>> AttemptsAsync(Guid deliveryId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.DeliveryAttempts.AsNoTracking().Where(a => a.DeliveryId == deliveryId).OrderBy(a => a.Number).ThenBy(a => a.StartedAt).ToListAsync(cancellationToken);
    }

    public async Task<ListPage<ImapEvent>> ListAsync(EventQuery query, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var events = db.Events.AsNoTracking();
        if (query.Type is { } type)
        {
            events = events.Where(e => e.Type == type);
        }

        if (query.MailboxId is { } mailboxId)
        {
            events = events.Where(e => e.MailboxId == mailboxId);
        }

        // PostgreSQL's timestamptz takes UTC only: a moment in the reader's zone is the same moment in UTC.
        if (query.From?.ToUniversalTime() is { } from)
        {
            events = events.Where(e => e.OccurredAt >= from);
        }

        if (query.To?.ToUniversalTime() is { } to)
        {
            events = events.Where(e => e.OccurredAt < to);
        }

        if (query.IncidentId is { } incidentId)
        {
            events = events.Where(e => e.IncidentId == incidentId);
        }

        if (query.Delivery is { } status)
        {
            events = events.Where(e => db.Deliveries.Any(d => d.EventId == e.Id && d.Status == status));
        }

        var total = await events.CountAsync(cancellationToken);
        var page = await events
            .OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id)
            .Skip(query.Page * query.PageSize)
            .Take(query.PageSize)
            .ToListAsync(cancellationToken);
        return new ListPage<ImapEvent>(page, total);
    }

    public async Task<IReadOnlyList<MailboxOption>> MailboxesAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Mailboxes.AsNoTracking().OrderBy(m => m.DisplayName)
            .Select(m => new MailboxOption(m.Id, m.DisplayName))
            .ToListAsync(cancellationToken);
    }
}
