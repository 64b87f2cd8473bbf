using ImapEvents.Core.Incidents;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Infrastructure.Incidents;

/// <summary>
/// Every decision about what an incident's rules notify is taken holding the incident's row lock, so two instances
/// (or a dispatch and a sweep) deciding for one incident take turns and see each other's notifications.
/// Locks are always taken incident first, then its notifications, groups and throttles: never the other way round.
/// </summary>
public static class IncidentLocks
{
    public static Task<Incident?> LockAsync(AppDbContext db, Guid incidentId, CancellationToken cancellationToken) =>
        db.Incidents.FromSql($"SELECT * FROM incidents WHERE \"Id\" = {incidentId} FOR UPDATE").SingleOrDefaultAsync(cancellationToken);

    /// <summary>Null when another transaction holds it: a sweep moves on and looks again next time.</summary>
    public static Task<Incident?> TryLockAsync(AppDbContext db, Guid incidentId, CancellationToken cancellationToken) =>
        db.Incidents.FromSql($"SELECT * FROM incidents WHERE \"Id\" = {incidentId} FOR UPDATE SKIP LOCKED").SingleOrDefaultAsync(cancellationToken);

    /// <summary>Records that a rule notified about the incident (or put it into a group), for "once per incident", recovery and escalation.</summary>
    public static IncidentNotification RecordNotification(
        AppDbContext db, IDictionary<Guid, IncidentNotification> notified, Incident incident, Core.Rules.RuleMatch rule, int stageChangeNumber, DateTimeOffset now)
    {
        if (!notified.TryGetValue(rule.RuleId, out var notification))
        {
            notification = new IncidentNotification
            {
                IncidentId = incident.Id,
                RuleId = rule.RuleId,
                RuleName = rule.RuleName,
                FirstNotifiedAt = now,
                EscalateAt = rule.Options.EscalateAfterMinutes is { } minutes && rule.EscalationActions is { Count: > 0 }
                    ? now.AddMinutes(minutes)
                    : null,
            };
            db.IncidentNotifications.Add(notification);
            notified[rule.RuleId] = notification;
        }

        notification.LastNotifiedAt = now;
        notification.StageChangeNumber = Math.Max(notification.StageChangeNumber, stageChangeNumber);
        notification.Notifications++;
        return notification;
    }
}
