using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>
/// Turns the actions of matched rules into deliveries, inside the dispatcher's transaction. Max frequency
/// is decided under a row lock on the action's throttle row, so two instances firing the same action at
/// once see one another; a suppressed firing becomes a counted row, never a queued job.
/// </summary>
public sealed class ActionGate(TimeProvider time)
{
    /// <param name="ignoreMaxFrequency">For test events: deliver every action now and leave the windows of real firings alone.</param>
    /// <returns>The deliveries to queue once the transaction commits.</returns>
    public Task<IReadOnlyList<Delivery>> FireAsync(
        AppDbContext db, ImapEvent imapEvent, IEnumerable<RuleMatch> matches, CancellationToken cancellationToken, bool ignoreMaxFrequency = false) =>
        FireAsync(db, imapEvent, matches.Where(m => !m.Snoozed).Select(m => new Firing(m, m.Actions)), cancellationToken, ignoreMaxFrequency);

    /// <summary>Fires the given actions of each rule: its own, its escalation actions, for a recovery or a group.</summary>
    public async Task<IReadOnlyList<Delivery>> FireAsync(
        AppDbContext db, ImapEvent imapEvent, IEnumerable<Firing> rules, CancellationToken cancellationToken, bool ignoreMaxFrequency = false)
    {
        var now = time.GetUtcNow();
        var firings = rules
            .SelectMany(r => r.Actions.Select((action, position) => (Firing: r, Action: action, Position: position)))
            // A receiver said the address is gone (410): nothing fires until an administrator enables it again.
            .Where(f => f.Action.DisabledAt is null)
            .ToList();

        var throttled = ignoreMaxFrequency
            ? []
            : firings.Select(f => f.Action).Where(a => a.MaxFrequency is not null).DistinctBy(a => a.Id).ToDictionary(a => a.Id);
        var decisions = new Dictionary<Guid, ThrottleDecision>();
        if (throttled.Count > 0)
        {
            // Two statements however many actions fire: create the missing rows, then lock them all. Rows
            // are locked in id order by every instance, so two dispatches cannot deadlock.
            var ids = throttled.Keys.Order().ToArray();
            await db.Database.ExecuteSqlAsync(
                $"INSERT INTO action_throttles (\"ActionId\", \"Suppressed\") SELECT unnest({ids}), 0 ON CONFLICT (\"ActionId\") DO NOTHING",
                cancellationToken);
            var throttles = await db.ActionThrottles
                .FromSql($"SELECT * FROM action_throttles WHERE \"ActionId\" = ANY({ids}) ORDER BY \"ActionId\" FOR UPDATE")
                .ToListAsync(cancellationToken);
            foreach (var throttle in throttles)
            {
                var decision = MaxFrequency.Decide(new ThrottleState(throttle.WindowStartedAt, throttle.Suppressed), throttled[throttle.ActionId].MaxFrequency, now);
                throttle.WindowStartedAt = decision.Next.WindowStartedAt;
                throttle.Suppressed = decision.Next.Suppressed;
                decisions[throttle.ActionId] = decision;
            }
        }

        var deliveries = new List<Delivery>();
        foreach (var (firing, action, position) in firings)
        {
            var match = firing.Match;
            var decision = decisions.GetValueOrDefault(action.Id, new ThrottleDecision(true, 0, default));
            var delivery = new Delivery
            {
                Id = Guid.NewGuid(),
                EventId = imapEvent.Id,
                RuleId = match.RuleId,
                RuleName = match.RuleName,
                OwnerId = match.OwnerId,
                ActionId = action.Id,
                ActionPosition = position,
                Kind = action.Kind,
                Action = action.Copy(),
                SuppressedCount = decision.Deliver ? decision.SuppressedBefore : 0,
                Status = decision.Deliver ? DeliveryStatus.Pending : DeliveryStatus.Suppressed,
                CreatedAt = now,
                CompletedAt = decision.Deliver ? null : now,
                Trigger = firing.Trigger,
                GroupId = firing.GroupId,
            };
            db.Deliveries.Add(delivery);
            if (decision.Deliver)
            {
                deliveries.Add(delivery);
            }
        }

        return deliveries;
    }
}

/// <summary>Actions of one matched rule to fire for an event, and why.</summary>
public sealed record Firing(RuleMatch Match, IReadOnlyList<RuleAction> Actions, DeliveryTrigger Trigger = DeliveryTrigger.Event, Guid? GroupId = null);
