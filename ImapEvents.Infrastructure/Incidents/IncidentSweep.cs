using Hangfire;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Maintenance;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Incidents;

/// <summary>
/// What incidents owe with time rather than with a check, every minute: escalations that fell due, the
/// notifications a maintenance window held back once it ends on a mailbox still failing, and groups whose
/// sending got lost. Each decision is taken under the incident's (or group's) row lock, so two instances
/// running the sweep never send one twice.
/// </summary>
public sealed class IncidentSweep(
    IDbContextFactory<AppDbContext> dbFactory,
    RuleSet ruleSet,
    ActionGate actionGate,
    DeliveryQueue deliveryQueue,
    NotificationGrouping grouping,
    MaintenanceCalendar maintenance,
    TimeProvider time,
    ILogger<IncidentSweep> logger)
{
    public const string RecurringJobId = "incident-sweep";

    private static readonly ImapEventType[] Failures =
        [ImapEventType.ConnectionFailed, ImapEventType.LoginFailed, ImapEventType.DownloadFailed, ImapEventType.ImportFailed];

    public static void Schedule(IRecurringJobManager recurringJobs) =>
        recurringJobs.AddOrUpdate<IncidentSweep>(RecurringJobId, JobQueues.Default, sweep => sweep.RunAsync(CancellationToken.None), Cron.Minutely());

    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await EscalateDueAsync(cancellationToken);
        await ReleaseEndedMaintenanceAsync(cancellationToken);
        await grouping.SendOverdueAsync(cancellationToken);
    }

    /// <returns>How many escalations ran.</returns>
    public async Task<int> EscalateDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var due = await db.IncidentNotifications.AsNoTracking()
            .Where(n => n.EscalatedAt == null && n.EscalateAt != null && n.EscalateAt <= now)
            .OrderBy(n => n.EscalateAt)
            .Join(db.Incidents.Where(i => i.ClosedAt == null && i.AcknowledgedAt == null), n => n.IncidentId, i => i.Id, (n, i) => new { n.IncidentId, n.RuleId })
            .Take(200)
            .ToListAsync(cancellationToken);
        var escalated = 0;
        foreach (var notification in due)
        {
            if (await EscalateAsync(notification.IncidentId, notification.RuleId, cancellationToken))
            {
                escalated++;
            }
        }

        return escalated;
    }

    private async Task<bool> EscalateAsync(Guid incidentId, Guid ruleId, CancellationToken cancellationToken)
    {
        var rules = await ruleSet.GetAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        var incident = await IncidentLocks.TryLockAsync(db, incidentId, cancellationToken);
        if (incident is null || !incident.IsOpen || incident.IsAcknowledged)
        {
            return false;
        }

        var notification = await db.IncidentNotifications
            .SingleOrDefaultAsync(n => n.IncidentId == incidentId && n.RuleId == ruleId && n.EscalatedAt == null, cancellationToken);
        if (notification is null)
        {
            return false;
        }

        // During maintenance the escalation waits; it runs once the window ends if the incident is still open.
        if (incident.MailboxId is { } mailboxId && await maintenance.CoversAsync(db, mailboxId, incident.ServerName, now, cancellationToken))
        {
            return false;
        }

        notification.EscalatedAt = now;
        IReadOnlyList<Delivery> deliveries = [];
        if (rules.TryGet(ruleId, now, out var rule) && !rule.Snoozed && rule.EscalationActions is { Count: > 0 } actions
            && await LatestFailureAsync(db, incidentId, cancellationToken) is { } latest)
        {
            deliveries = await actionGate.FireAsync(db, latest, [new Firing(rule, actions, DeliveryTrigger.Escalation)], cancellationToken);
            db.IncidentChanges.Add(incident.Escalated(rule.RuleName, now));
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (deliveries.Count > 0)
        {
            logger.LogWarning("Incident {IncidentId} of mailbox {MailboxName} escalated by rule {RuleName}: {Count} action(s)",
                incidentId, incident.MailboxName, notification.RuleName, deliveries.Count);
        }

        await deliveryQueue.EnqueueAsync(deliveries.Select(d => d.Id), cancellationToken);
        return deliveries.Count > 0;
    }

    /// <returns>How many incidents had notifications released.</returns>
    public async Task<int> ReleaseEndedMaintenanceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var held = await (
                from incident in db.Incidents.AsNoTracking()
                where incident.ClosedAt == null && incident.HeldByMaintenance && incident.MailboxId != null
                join mailbox in db.Mailboxes on incident.MailboxId equals mailbox.Id
                join status in db.MailboxStatuses on mailbox.Id equals status.MailboxId
                orderby incident.OpenedAt
                select new { incident.Id, MailboxId = mailbox.Id, incident.ServerName, mailbox.Enabled, mailbox.PollIntervalMinutes, status.LastCheckAt })
            .Take(500)
            .ToListAsync(cancellationToken);
        if (held.Count == 0)
        {
            return 0;
        }

        var windows = await MaintenanceCalendar.ActiveCandidatesAsync(db, now, cancellationToken);
        var released = 0;
        foreach (var incident in held.Where(i => !maintenance.Covers(windows, i.MailboxId, i.ServerName, now)
            && !CheckIsAboutToRelease(i.Enabled, i.LastCheckAt, i.PollIntervalMinutes, now)))
        {
            if (await ReleaseAsync(incident.Id, cancellationToken))
            {
                released++;
            }
        }

        return released;
    }

    /// <summary>
    /// A check due within two minutes releases the held notifications itself, as the rules decide for its own
    /// failure; the sweep sending them too would give an every-event rule two alerts a second apart. The sweep is
    /// for mailboxes checked rarely, and for checks that do not come.
    /// </summary>
    internal static bool CheckIsAboutToRelease(bool enabled, DateTimeOffset? lastCheckAt, int pollIntervalMinutes, DateTimeOffset now)
    {
        if (!enabled || lastCheckAt is not { } last)
        {
            return false;
        }

        var due = last.AddMinutes(pollIntervalMinutes);
        var soon = TimeSpan.FromMinutes(2);
        return due <= now + soon && now <= due + soon;
    }

    /// <summary>
    /// The window ended and the mailbox still fails: the rules it held back on the latest failure decide again as
    /// if there had been no window, so each notifies once (a problem that began in maintenance is reported).
    /// </summary>
    private async Task<bool> ReleaseAsync(Guid incidentId, CancellationToken cancellationToken)
    {
        var rules = await ruleSet.GetAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        var incident = await IncidentLocks.TryLockAsync(db, incidentId, cancellationToken);
        if (incident is not { IsOpen: true, HeldByMaintenance: true })
        {
            return false;
        }

        db.IncidentChanges.Add(incident.EndMaintenance(now));
        var firings = new List<Firing>();
        var openedGroups = new List<NotificationGroup>();
        var latest = await LatestFailureAsync(db, incidentId, cancellationToken);
        if (latest is not null)
        {
            var heldRules = await db.RuleMatches.AsNoTracking()
                .Where(m => m.EventId == latest.Id && m.Held == RuleMatchHold.InMaintenance)
                .Select(m => m.RuleId)
                .ToListAsync(cancellationToken);
            var notified = await db.IncidentNotifications.Where(n => n.IncidentId == incidentId).ToDictionaryAsync(n => n.RuleId, cancellationToken);
            latest.InMaintenance = false;
            foreach (var ruleId in heldRules)
            {
                if (!rules.TryGet(ruleId, now, out var rule))
                {
                    continue;
                }

                var prior = notified.TryGetValue(ruleId, out var before) ? new PriorNotification(before.StageChangeNumber) : (PriorNotification?)null;
                if (NotificationPolicy.Decide(rule.Options, latest, rule.Snoozed, incident.IsAcknowledged, prior) is not null)
                {
                    continue;
                }

                IncidentLocks.RecordNotification(db, notified, incident, rule, latest.StageChangeNumber, now);
                if (rule.Options.GroupByServer)
                {
                    var (group, opened) = await grouping.JoinAsync(db, rule, latest, now, cancellationToken);
                    if (opened)
                    {
                        openedGroups.Add(group);
                    }
                }
                else
                {
                    firings.Add(new Firing(rule, rule.Actions, DeliveryTrigger.MaintenanceEnded));
                }
            }
        }

        var deliveries = firings.Count == 0 || latest is null
            ? []
            : await actionGate.FireAsync(db, latest, firings, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        foreach (var group in openedGroups)
        {
            grouping.ScheduleSend(group);
        }

        await deliveryQueue.EnqueueAsync(deliveries.Select(d => d.Id), cancellationToken);
        return true;
    }

    private static Task<ImapEvent?> LatestFailureAsync(AppDbContext db, Guid incidentId, CancellationToken cancellationToken) =>
        db.Events.AsNoTracking()
            .Where(e => e.IncidentId == incidentId && Failures.Contains(e.Type))
            .OrderByDescending(e => e.OccurredAt)
            .FirstOrDefaultAsync(cancellationToken);
}
