using System.Collections.Immutable;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Activity;

/// <summary>
/// Tells open pages that something they show changed, on any instance. PostgreSQL sends one NOTIFY per
/// committed change (triggers, see the ActivityNotifications migration), <see cref="ActivityListener"/>
/// hears it on this instance's one LISTEN connection, and this feed fans it out to the subscribers.
/// Each subscriber is called at most once per <see cref="MinimumInterval"/>, with everything that
/// changed in between: a storm of a thousand events costs a page a reload or two per second, not a
/// thousand queries.
/// </summary>
public sealed class ActivityFeed(TimeProvider time, ILogger<ActivityFeed> logger)
{
    public const string Channel = "imapevents_activity";

    /// <summary>The shortest time between two calls of one subscriber; the first change is passed on at once.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(1);

    private readonly TimeProvider time = time;
    private readonly ILogger<ActivityFeed> logger = logger;
    private readonly Lock gate = new();
    private readonly TaskCompletionSource firstSubscriber = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ImmutableArray<Subscription> subscriptions = [];
    private long notifications;
    private volatile bool listening;

    /// <summary>True while this instance listens for changes (only once a page subscribed).</summary>
    public bool Listening
    {
        get => listening;
        internal set => listening = value;
    }

    /// <summary>How many change notifications arrived from PostgreSQL.</summary>
    public long NotificationsReceived => Interlocked.Read(ref notifications);

    /// <summary>
    /// Calls <paramref name="onChange"/> (never on the caller's thread, never twice at once) after changes of
    /// the given kinds, with the kinds that changed. Dispose the result to stop.
    /// </summary>
    public IDisposable Subscribe(ActivityKinds kinds, Func<ActivityKinds, Task> onChange)
    {
        var subscription = new Subscription(this, kinds, onChange);
        lock (gate)
        {
            subscriptions = subscriptions.Add(subscription);
        }

        firstSubscriber.TrySetResult();
        return subscription;
    }

    /// <summary>Completes once someone subscribed: an instance without pages (a worker) never listens.</summary>
    internal Task FirstSubscriberAsync(CancellationToken cancellationToken) => firstSubscriber.Task.WaitAsync(cancellationToken);

    internal void OnNotification(string payload)
    {
        Interlocked.Increment(ref notifications);
        Publish(ActivityKindPayloads.FromPayload(payload));
    }

    /// <summary>Passes a change on to every subscriber that follows its kind.</summary>
    internal void Publish(ActivityKinds kinds)
    {
        foreach (var subscription in subscriptions)
        {
            subscription.Signal(kinds);
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (gate)
        {
            subscriptions = subscriptions.Remove(subscription);
        }
    }

    /// <summary>One subscriber's coalescing: changes gather in <c>pending</c> until its timer fires.</summary>
    private sealed class Subscription : IDisposable
    {
        private readonly ActivityFeed feed;
        private readonly ActivityKinds interest;
        private readonly Func<ActivityKinds, Task> onChange;
        private readonly ITimer timer;
        private readonly Lock gate = new();
        private ActivityKinds pending;
        private bool armedOrRunning;
        private DateTimeOffset? lastCall;
        private bool disposed;

        public Subscription(ActivityFeed feed, ActivityKinds interest, Func<ActivityKinds, Task> onChange)
        {
            this.feed = feed;
            this.interest = interest;
            this.onChange = onChange;
            timer = CreateTimer(feed.time, _ => _ = CallAsync());
        }

        /// <summary>A timer that does not carry the subscriber's execution context (a circuit's, say) into its callbacks.</summary>
        private static ITimer CreateTimer(TimeProvider time, TimerCallback callback)
        {
            if (ExecutionContext.IsFlowSuppressed())
            {
                return time.CreateTimer(callback, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }

            using (ExecutionContext.SuppressFlow())
            {
                return time.CreateTimer(callback, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }

        public void Signal(ActivityKinds kinds)
        {
            kinds &= interest;
            if (kinds == ActivityKinds.None)
            {
                return;
            }

            lock (gate)
            {
                pending |= kinds;
                if (disposed || armedOrRunning)
                {
                    // The armed timer, or the call running now, takes these changes along.
                    return;
                }

                armedOrRunning = true;
            }

            Arm();
        }

        private async Task CallAsync()
        {
            ActivityKinds kinds;
            lock (gate)
            {
                if (disposed)
                {
                    return;
                }

                kinds = pending;
                pending = ActivityKinds.None;
                lastCall = feed.time.GetUtcNow();
            }

            try
            {
                await onChange(kinds);
            }
            catch (Exception ex)
            {
                // One page's failure (its circuit just ended, its query failed) is no one else's business.
                feed.logger.LogDebug(ex, "A subscriber to the activity feed failed to follow a change");
            }

            lock (gate)
            {
                armedOrRunning = !disposed && pending != ActivityKinds.None;
                if (!armedOrRunning)
                {
                    return;
                }
            }

            Arm();
        }

        /// <summary>Fires at once after a quiet interval, otherwise when the interval since the last call is over.</summary>
        private void Arm()
        {
            var wait = lastCall is { } last ? last + MinimumInterval - feed.time.GetUtcNow() : TimeSpan.Zero;
            try
            {
                timer.Change(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Disposed meanwhile.
            }
        }

        public void Dispose()
        {
            lock (gate)
            {
                if (disposed)
                {
                    return;
                }

                disposed = true;
            }

            feed.Remove(this);
            timer.Dispose();
        }
    }
}
