using ImapEvents.Infrastructure.Persistence;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Activity;

/// <summary>This instance's one LISTEN connection for the <see cref="ActivityFeed"/>; opened once a page subscribes.</summary>
internal sealed class ActivityListener(ActivityFeed feed, string connectionString, ILogger<ActivityListener> logger)
    : PostgresListener(connectionString, logger)
{
    protected override string Channel => ActivityFeed.Channel;

    protected override Task WaitUntilNeededAsync(CancellationToken cancellationToken) => feed.FirstSubscriberAsync(cancellationToken);

    protected override void OnNotification(string payload) => feed.OnNotification(payload);

    protected override Task OnListeningAsync(CancellationToken cancellationToken)
    {
        feed.Listening = true;
        // Whatever changed while nobody listened (before the first page, or while PostgreSQL restarted).
        feed.Publish(ActivityKinds.All);
        return Task.CompletedTask;
    }

    protected override void OnDisconnected() => feed.Listening = false;
}
