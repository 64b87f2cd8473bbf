using ImapEvents.Core.Events;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Core.Rules;
using ImapEvents.Core.Text;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Rules;

/// <summary>
/// Evaluates the rules for every stored event, records which matched (snoozed ones as such) and fires their
/// actions: the matches, the max-frequency decisions and the deliveries commit together, then each
/// delivery's job is queued.
/// </summary>
internal sealed class RuleDispatcher(
    RuleSet ruleSet,
    IDbContextFactory<AppDbContext> dbFactory,
    ActionGate actionGate,
    DeliveryQueue deliveryQueue,
    TimeProvider time,
    ILogger<RuleDispatcher> logger)
    : IImapEventDispatcher
{
    public async Task DispatchAsync(ImapEvent imapEvent, CancellationToken cancellationToken)
    {
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

        db.RuleMatches.AddRange(matches.Select(m => new EventRuleMatch { EventId = imapEvent.Id, RuleId = m.RuleId, RuleName = m.RuleName, Snoozed = m.Snoozed }));
        var deliveries = await actionGate.FireAsync(db, imapEvent, matches, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await deliveryQueue.EnqueueAsync(deliveries.Select(d => d.Id), cancellationToken);
    }
}
