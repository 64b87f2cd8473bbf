using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Rules;

public sealed record TestEventResult(Guid? EventId, string? Error)
{
    public bool Succeeded => EventId is not null;
}

/// <summary>
/// "Send test event": a stored event marked as a test, shaped to the rule's conditions, that fires the
/// rule's actions through the real delivery jobs. Conditions, snooze and max frequency are skipped (a
/// test always delivers), and no other rule sees the event.
/// </summary>
public sealed class TestEventSender(
    IDbContextFactory<AppDbContext> dbFactory,
    ActionGate actionGate,
    DeliveryQueue deliveryQueue,
    ImapEventsMetrics metrics,
    TimeProvider time,
    ILogger<TestEventSender> logger)
{
    public async Task<TestEventResult> SendAsync(string actingUserId, Guid ruleId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var actingUserEmail = await db.Users.AsNoTracking().Where(u => u.Id == actingUserId).Select(u => u.Email).SingleOrDefaultAsync(cancellationToken)
            ?? actingUserId;
        var rule = await db.Rules.AsNoTracking().SingleOrDefaultAsync(r => r.Id == ruleId, cancellationToken);
        if (rule is null)
        {
            return new TestEventResult(null, "This rule was deleted by someone else.");
        }

        if (rule.Actions.Count == 0)
        {
            return new TestEventResult(null, "This rule has no actions to test. Edit it and add one.");
        }

        if (rule.Actions.All(a => a.DisabledAt is not null))
        {
            return new TestEventResult(null, "Every action of this rule is disabled. Edit the rule, check the addresses and enable an action again, then send the test event.");
        }

        var now = time.GetUtcNow();
        var imapEvent = new ImapEvent
        {
            Id = Guid.NewGuid(),
            IsTest = true,
            Type = rule.EventType,
            OccurredAt = now,
            MailboxName = "Test event",
            ServerName = Concrete(rule.ServerName, "imap.example.com"),
            ServerPort = rule.ServerPort ?? (rule.Ssl == SslCondition.False ? 143 : 993),
            LoginUsername = Concrete(rule.LoginUsername, "test@example.com"),
            Ssl = rule.Ssl != SslCondition.False,
            Stage = Stage(rule.EventType),
            ErrorKind = CheckErrorKind.None,
            ErrorMessage = $"Test event sent by {actingUserEmail} from rule \"{rule.Name}\".",
            DispatchedAt = now,
        };
        // What the real events of these types carry, so templates show something to check.
        switch (rule.EventType)
        {
            case ImapEventType.Recovered:
                imapEvent.FailureNumber = 3;
                imapEvent.Downtime = TimeSpan.FromMinutes(12);
                break;
            case ImapEventType.CertificateExpiring:
                imapEvent.CertificateExpiresAt = now.AddDays(5);
                imapEvent.CertificateIssuer = "CN=Test Issuer";
                break;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Events.Add(imapEvent);
        db.RuleMatches.Add(new EventRuleMatch { EventId = imapEvent.Id, RuleId = rule.Id, RuleName = rule.Name });
        var match = new RuleMatch(rule.Id, rule.Name, Snoozed: false, rule.Actions, rule.OwnerId);
        var deliveries = await actionGate.FireAsync(db, imapEvent, [match], cancellationToken, ignoreMaxFrequency: true);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        metrics.TestEventRaised(imapEvent.Type);
        await deliveryQueue.EnqueueAsync(deliveries.Select(d => d.Id), cancellationToken);
        logger.LogInformation("{User} sent a test event for rule {RuleName}: {Count} action(s) queued", actingUserEmail, rule.Name, deliveries.Count);
        return new TestEventResult(imapEvent.Id, null);
    }

    /// <summary>The condition's own value when it names one server or user; an example when it is a pattern or empty.</summary>
    private static string Concrete(string? pattern, string example) =>
        string.IsNullOrEmpty(pattern) ? example
        : !pattern.Contains('*', StringComparison.Ordinal) ? pattern
        : pattern.Replace("*", "test", StringComparison.Ordinal);

    private static CheckStage Stage(ImapEventType type) => type switch
    {
        ImapEventType.ConnectionFailed => CheckStage.Connect,
        ImapEventType.LoginFailed => CheckStage.Authenticate,
        ImapEventType.DownloadFailed => CheckStage.Download,
        ImapEventType.ImportFailed => CheckStage.Import,
        ImapEventType.Recovered => CheckStage.Authenticate,
        ImapEventType.CertificateExpiring or ImapEventType.MailboxStale => CheckStage.Connect,
    };
}
