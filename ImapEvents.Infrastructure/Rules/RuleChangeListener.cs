using ImapEvents.Infrastructure.Persistence;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Rules;

/// <summary>
/// Listens for rule changes made on any instance (PostgreSQL LISTEN/NOTIFY) and marks this
/// instance's compiled rules stale. Every 30 seconds it also compares versions, in case a
/// notification was missed while the connection was down.
/// </summary>
internal sealed class RuleChangeListener(RuleSet ruleSet, string connectionString, ILogger<RuleChangeListener> logger)
    : PostgresListener(connectionString, logger)
{
    public const string ChannelName = "imapevents_rules";

    protected override string Channel => ChannelName;

    protected override TimeSpan IdleAfter => TimeSpan.FromSeconds(30);

    protected override void OnNotification(string payload) => ruleSet.OnNotification();

    protected override Task OnListeningAsync(CancellationToken cancellationToken)
    {
        // Changes made while not listening are caught here.
        ruleSet.MarkStale();
        ruleSet.Listening = true;
        return Task.CompletedTask;
    }

    protected override Task OnIdleAsync(CancellationToken cancellationToken) => ruleSet.CheckVersionAsync(cancellationToken);

    protected override void OnDisconnected()
    {
        // Rules still refresh through GetAsync's stale flag.
        ruleSet.Listening = false;
        ruleSet.MarkStale();
    }
}
