using ImapEvents.Core.Text;
using Hangfire;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Incidents;

/// <summary>
/// "Group by server": a rule's failures on one server, port and stage within the grouping window go into one
/// group, sent as one notification when the window ends. The group row is the unit of agreement between
/// instances: one gathering group per key (a unique index), joined and sent under its row lock.
/// </summary>
public sealed class NotificationGrouping(
    IDbContextFactory<AppDbContext> dbFactory,
    RuleSet ruleSet,
    ActionGate actionGate,
    DeliveryQueue deliveryQueue,
    IBackgroundJobClient jobs,
    IOptions<IncidentSettings> settings,
    TimeProvider time,
    ILogger<NotificationGrouping> logger)
{
    /// <summary>Puts the event into its rule's gathering group for the server, opening one when there is none.</summary>
    /// <returns>The group, and whether this call opened it (then its sending must be scheduled once the transaction commits).</returns>
    public async Task<(NotificationGroup Group, bool Opened)> JoinAsync(
        AppDbContext db, RuleMatch rule, ImapEvent imapEvent, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var recovery = imapEvent.Type == ImapEventType.Recovered;
        var server = imapEvent.ServerName.ToLowerInvariant();
        var stage = imapEvent.Stage.ToString();
        // A group being sent at this very moment leaves no gathering one: try again, and open the next.
        for (var attempt = 0; ; attempt++)
        {
            var id = Guid.NewGuid();
            var sendAt = now + settings.Value.GroupingWindow;
            var opened = await db.Database.ExecuteSqlAsync($"""
                INSERT INTO notification_groups ("Id", "RuleId", "RuleName", "ServerName", "ServerPort", "Stage", "Recovery", "OpenedAt", "SendAt", "FirstEventId")
                VALUES ({id}, {rule.RuleId}, {rule.RuleName}, {server}, {imapEvent.ServerPort}, {stage}, {recovery}, {now}, {sendAt}, {imapEvent.Id})
                ON CONFLICT ("RuleId", "ServerName", "ServerPort", "Stage", "Recovery") WHERE "SentAt" IS NULL DO NOTHING
                """, cancellationToken);
            var group = await db.NotificationGroups.FromSql($"""
                SELECT * FROM notification_groups
                WHERE "RuleId" = {rule.RuleId} AND "ServerName" = {server} AND "ServerPort" = {imapEvent.ServerPort} AND "Stage" = {stage}
                    AND "Recovery" = {recovery} AND "SentAt" IS NULL
                FOR UPDATE
                """).SingleOrDefaultAsync(cancellationToken);
            if (group is null)
            {
                if (attempt >= 3)
                {
                    throw new InvalidOperationException($"No gathering group for rule {rule.RuleName} on {server} could be joined.");
                }

                continue;
            }

            db.NotificationGroupMembers.Add(new NotificationGroupMember
            {
                GroupId = group.Id,
                EventId = imapEvent.Id,
                IncidentId = imapEvent.IncidentId,
                MailboxName = imapEvent.MailboxName,
                LoginUsername = imapEvent.LoginUsername,
                ErrorMessage = StoredText.Clip(imapEvent.ErrorMessage, Imap.CheckFailure.MaxMessageLength),
                OccurredAt = imapEvent.OccurredAt,
            });
            return (group, opened == 1 && group.Id == id);
        }
    }

    /// <summary>Takes an incident's failures out of the rule's groups not sent yet (the caller holds the incident's lock).</summary>
    /// <returns>True when the incident was waiting in such a group only, so nothing about it has gone out.</returns>
    public static async Task<bool> LeaveUnsentAsync(AppDbContext db, Guid ruleId, Guid incidentId, CancellationToken cancellationToken)
    {
        var groupIds = await db.NotificationGroupMembers.AsNoTracking()
            .Where(m => m.IncidentId == incidentId)
            .Join(db.NotificationGroups.Where(g => g.RuleId == ruleId && !g.Recovery), m => m.GroupId, g => g.Id, (m, g) => new { g.Id, g.SentAt })
            .ToListAsync(cancellationToken);
        if (groupIds.Count == 0 || groupIds.Any(g => g.SentAt is not null))
        {
            return false;
        }

        foreach (var groupId in groupIds.Select(g => g.Id).Distinct())
        {
            // Locked after the incident, as every path does; a group sent meanwhile has announced the failure after all.
            var unsent = await db.NotificationGroups
                .FromSql($"SELECT * FROM notification_groups WHERE \"Id\" = {groupId} AND \"SentAt\" IS NULL FOR UPDATE")
                .AnyAsync(cancellationToken);
            if (!unsent)
            {
                return false;
            }
        }

        await db.NotificationGroupMembers.Where(m => m.IncidentId == incidentId && groupIds.Select(g => g.Id).Contains(m.GroupId))
            .ExecuteDeleteAsync(cancellationToken);
        return true;
    }

    /// <summary>After the transaction that opened the group committed: its sending, when the window ends.</summary>
    public void ScheduleSend(NotificationGroup group)
    {
        try
        {
            jobs.Schedule<NotificationGrouping>(JobQueues.Actions, grouping => grouping.SendAsync(group.Id, CancellationToken.None), group.SendAt);
        }
        catch (Exception ex)
        {
            // The incident sweep sends groups whose time has passed.
            logger.LogWarning(ex, "The sending of notification group {GroupId} could not be scheduled; the incident sweep sends it", group.Id);
        }
    }

    /// <summary>Sends a group whose window ended: one firing of its rule's actions, listing every mailbox in it.</summary>
    [AutomaticRetry(Attempts = 5)]
    [JobDisplayName("Send grouped notification {0}")]
    public async Task SendAsync(Guid groupId, CancellationToken cancellationToken)
    {
        var rules = await ruleSet.GetAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var group = await db.NotificationGroups
            .FromSql($"SELECT * FROM notification_groups WHERE \"Id\" = {groupId} AND \"SentAt\" IS NULL FOR UPDATE")
            .SingleOrDefaultAsync(cancellationToken);
        if (group is null)
        {
            return;
        }

        var now = time.GetUtcNow();
        group.SentAt = now;
        var members = await db.NotificationGroupMembers.AsNoTracking().Where(m => m.GroupId == groupId).ToListAsync(cancellationToken);
        var incidentIds = members.Where(m => m.IncidentId is not null).Select(m => m.IncidentId!.Value).ToList();
        // Read, not locked: a dispatch holds an incident's lock while it waits for this group's.
        var acknowledged = await db.Incidents.AsNoTracking()
            .Where(i => incidentIds.Contains(i.Id) && i.AcknowledgedAt != null)
            .Select(i => i.Id)
            .ToListAsync(cancellationToken);
        // An acknowledged incident's failures are not announced; its recovery is.
        var listed = group.Recovery ? members : members.Where(m => m.IncidentId is not { } id || !acknowledged.Contains(id)).ToList();

        IReadOnlyList<Delivery> deliveries = [];
        if (listed.Count > 0 && rules.TryGet(group.RuleId, now, out var rule) && !rule.Snoozed)
        {
            var firstEventId = listed.MinBy(m => m.OccurredAt)!.EventId;
            var imapEvent = await db.Events.AsNoTracking().SingleAsync(e => e.Id == firstEventId, cancellationToken);
            var trigger = group.Recovery ? DeliveryTrigger.Recovery : DeliveryTrigger.Event;
            deliveries = await actionGate.FireAsync(db, imapEvent, [new Firing(rule, rule.Actions, trigger, group.Id)], cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Grouped notification of rule {RuleName} for {ServerName}: {Count} mailbox(es), {Deliveries} delivery(ies)",
            group.RuleName, group.ServerName, listed.Count, deliveries.Count);
        await deliveryQueue.EnqueueAsync(deliveries.Select(d => d.Id), cancellationToken);
    }

    /// <summary>Groups whose sending was never scheduled or got lost; the incident sweep sends them.</summary>
    public async Task<int> SendOverdueAsync(CancellationToken cancellationToken)
    {
        var overdue = time.GetUtcNow() - TimeSpan.FromSeconds(30);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var due = await db.NotificationGroups.AsNoTracking()
            .Where(g => g.SentAt == null && g.SendAt < overdue)
            .OrderBy(g => g.SendAt)
            .Select(g => g.Id)
            .Take(100)
            .ToListAsync(cancellationToken);
        foreach (var id in due)
        {
            await SendAsync(id, cancellationToken);
        }

        return due.Count;
    }
}
