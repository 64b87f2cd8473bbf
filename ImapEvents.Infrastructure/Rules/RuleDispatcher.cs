using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Core.Rules;
using ImapEvents.Core.Text;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Rules;

/// <summary>
/// Evaluates the rules for every stored event, records which matched (and why one held back) and fires their
/// actions: the matches, the incident decisions, the max-frequency decisions and the deliveries commit together,
/// then each delivery's job is queued.
/// </summary>
internal sealed class RuleDispatcher(
    RuleSet ruleSet,
    IDbContextFactory<AppDbContext> dbFactory,
    ActionGate actionGate,
    DeliveryQueue deliveryQueue,
    NotificationGrouping grouping,
    TimeProvider time,
    ILogger<RuleDispatcher> logger)
    : IImapEventDispatcher
{
    public async Task DispatchAsync(ImapEvent imapEvent, CancellationToken cancellationToken)
    {
        // On every line logged while its rules run and its deliveries are stored and queued.
        using var eventScope = logger.BeginScope("Event {EventId}", imapEvent.Id);
        var rules = await ruleSet.GetAsync(cancellationToken);
        var matches = new List<RuleMatch>();
        // At the event's time, not now: a sweep may dispatch it minutes or hours later.
        rules.Match(imapEvent, imapEvent.OccurredAt, matches);

        logger.LogWarning(
            "{EventType} for mailbox {MailboxName} ({ServerName}:{ServerPort}, user {LoginUsername}): {ErrorMessage} {Matched} rule(s) matched",
            imapEvent.Type.DisplayName(), imapEvent.MailboxName, imapEvent.ServerName, imapEvent.ServerPort,
            imapEvent.LoginUsername, Sentence.End(imapEvent.ErrorMessage), matches.Count);
        // Once per event, however often it is dispatched: the marker and the matches commit together.
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        var claimed = await db.Events
            .Where(e => e.Id == imapEvent.Id && e.DispatchedAt == null)
            .ExecuteUpdateAsync(update => update.SetProperty(e => e.DispatchedAt, now), cancellationToken);
        if (claimed == 0)
        {
            return;
        }

        var incident = imapEvent.IncidentId is { } incidentId ? await IncidentLocks.LockAsync(db, incidentId, cancellationToken) : null;
        var notified = incident is null
            ? new Dictionary<Guid, IncidentNotification>()
            : await db.IncidentNotifications.Where(n => n.IncidentId == incident.Id).ToDictionaryAsync(n => n.RuleId, cancellationToken);

        var firings = new List<Firing>();
        var openedGroups = new List<NotificationGroup>();
        foreach (var match in matches)
        {
            var prior = notified.TryGetValue(match.RuleId, out var before) ? new PriorNotification(before.StageChangeNumber) : (PriorNotification?)null;
            var hold = NotificationPolicy.Decide(match.Options, imapEvent, match.Snoozed, incident?.IsAcknowledged == true, prior, incidentOver: incident is { IsOpen: false });
            var record = new EventRuleMatch { EventId = imapEvent.Id, RuleId = match.RuleId, RuleName = match.RuleName, Snoozed = match.Snoozed, Held = hold };
            db.RuleMatches.Add(record);
            if (hold is not null)
            {
                continue;
            }

            if (incident is not null && imapEvent.Type.IsFailure())
            {
                IncidentLocks.RecordNotification(db, notified, incident, match, imapEvent.StageChangeNumber, now);
            }

            if (match.Options.GroupByServer && imapEvent.Type.IsFailure() && !imapEvent.IsTest)
            {
                var (group, opened) = await grouping.JoinAsync(db, match, imapEvent, now, cancellationToken);
                record.GroupId = group.Id;
                if (opened)
                {
                    openedGroups.Add(group);
                }

                continue;
            }

            firings.Add(new Firing(match, match.Actions));
        }

        if (incident is not null && imapEvent.Type == ImapEventType.Recovered)
        {
            await AddRecoveryNotificationsAsync(db, rules, imapEvent, matches, notified.Values, firings, openedGroups, now, cancellationToken);
        }

        // The first failed check after a maintenance window: the rules it held back decide on this event, as usual.
        if (incident is { HeldByMaintenance: true } && imapEvent.Type.IsFailure() && !imapEvent.InMaintenance)
        {
            db.IncidentChanges.Add(incident.EndMaintenance(now));
        }

        var deliveries = await actionGate.FireAsync(db, imapEvent, firings, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        foreach (var group in openedGroups)
        {
            grouping.ScheduleSend(group);
        }

        await deliveryQueue.EnqueueAsync(deliveries.Select(d => d.Id), cancellationToken);
    }

    /// <summary>"Also notify on recovery": the rules that notified about the incident run once more with its recovery.</summary>
    private async Task AddRecoveryNotificationsAsync(
        AppDbContext db, CompiledRules rules, ImapEvent recovery, List<RuleMatch> matches, IEnumerable<IncidentNotification> notified,
        List<Firing> firings, List<NotificationGroup> openedGroups, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var notification in notified.Where(n => n.RecoveryNotifiedAt is null))
        {
            // Still waiting in a group that has not gone out: the mailbox leaves the group, and neither its failure
            // nor its recovery is announced (a flap within the grouping window is no news).
            if (await NotificationGrouping.LeaveUnsentAsync(db, notification.RuleId, recovery.IncidentId!.Value, cancellationToken))
            {
                notification.RecoveryNotifiedAt = now;
                continue;
            }

            if (!rules.TryGet(notification.RuleId, now, out var rule)
                || !NotificationPolicy.NotifiesRecovery(rule.Options, recovery, rule.Snoozed, new PriorNotification(notification.StageChangeNumber)))
            {
                continue;
            }

            notification.RecoveryNotifiedAt = now;
            if (!matches.Exists(m => m.RuleId == rule.RuleId))
            {
                db.RuleMatches.Add(new EventRuleMatch { EventId = recovery.Id, RuleId = rule.RuleId, RuleName = rule.RuleName });
            }

            if (rule.Options.GroupByServer)
            {
                // Grouped going down, grouped coming back: a server's 40 mailboxes recover in one notification.
                var (group, opened) = await grouping.JoinAsync(db, rule, recovery, now, cancellationToken);
                if (opened)
                {
                    openedGroups.Add(group);
                }

                continue;
            }

            firings.Add(new Firing(rule, rule.Actions, DeliveryTrigger.Recovery));
        }
    }
}
