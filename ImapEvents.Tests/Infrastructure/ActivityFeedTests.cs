using Microsoft.Extensions.Time.Testing;
using System.Collections.Concurrent;
using ImapEvents.Core.Events;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Activity;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImapEvents.Tests.Infrastructure;

public sealed class ActivityFeedTests
{
    [Fact]
    public async Task AFailedCheckOnAWorkerOnlyInstance_ReachesTheFeedOfTheUiInstance()
    {
        var database = new TestDatabase();
        await database.InitializeAsync();
        try
        {
            await using var ui = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin(new Dictionary<string, string?> { ["Jobs:RunServer"] = "false" }));
            var feed = ui.Services.GetRequiredService<ActivityFeed>();
            var heard = new ConcurrentQueue<ActivityKinds>();
            using var subscription = feed.Subscribe(ActivityKinds.Events | ActivityKinds.Checks, kinds =>
            {
                heard.Enqueue(kinds);
                return Task.CompletedTask;
            });
            // Listening starts with one call for "anything may have changed meanwhile"; the change comes after it.
            await Eventually.TrueAsync(() => feed.Listening && !heard.IsEmpty, "the UI instance never started listening");
            heard.Clear();
            var notificationsBefore = feed.NotificationsReceived;

            // The worker records the check and its event; nothing is written through the UI instance.
            await using var worker = new ImapEventsApp(database.ConnectionString, new Dictionary<string, string?>
            {
                ["App:WorkerOnly"] = "true",
                ["Jobs:RunServer"] = "false",
            });
            var created = await worker.Services.GetRequiredService<MailboxAdministration>().CreateAsync(new MailboxSettings
            {
                DisplayName = "Closed port",
                ServerName = "127.0.0.1",
                ServerPort = LoopbackTcpServer.ClosedPort(),
                Security = ConnectionSecurity.None,
                LoginUsername = "nobody",
                Password = "irrelevant",
                PollIntervalMinutes = 60,
            }, default);
            var run = await worker.Services.GetRequiredService<MailboxCheckJob>().CheckAsync(created.Id!.Value, manual: true, default);
            Assert.Equal(ImapEventType.ConnectionFailed, run.Event?.Type);

            await Eventually.TrueAsync(
                () => heard.Aggregate(ActivityKinds.None, (all, kinds) => all | kinds) == (ActivityKinds.Events | ActivityKinds.Checks),
                $"the UI instance heard {string.Join(", ", heard)}, not the event and the check");
            Assert.True(feed.NotificationsReceived > notificationsBefore, "the change did not come through PostgreSQL");
            // A worker-only instance has no page that subscribes, so it never opens a listening connection.
            Assert.False(worker.Services.GetRequiredService<ActivityFeed>().Listening);
        }
        finally
        {
            await database.DisposeAsync();
        }
    }

    [Fact]
    public void ABurstOfAThousandChanges_CallsASubscriberOnceAtOnce_AndOnceMoreAfterTheInterval()
    {
        var clock = new FakeTimeProvider();
        var feed = new ActivityFeed(clock, NullLogger<ActivityFeed>.Instance);
        var calls = new List<ActivityKinds>();
        using var subscription = feed.Subscribe(ActivityKinds.Events | ActivityKinds.Deliveries, kinds =>
        {
            calls.Add(kinds);
            return Task.CompletedTask;
        });

        for (var i = 0; i < 1000; i++)
        {
            feed.Publish(i % 2 == 0 ? ActivityKinds.Events : ActivityKinds.Deliveries);
        }

        // The first change is shown at once; the other 999 wait for the interval and come as one.
        Assert.Equal([ActivityKinds.Events], calls);
        clock.Advance(ActivityFeed.MinimumInterval - TimeSpan.FromMilliseconds(1));
        Assert.Single(calls);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([ActivityKinds.Events, ActivityKinds.Events | ActivityKinds.Deliveries], calls);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(2, calls.Count);

        // After a quiet interval the next change is shown at once again.
        feed.Publish(ActivityKinds.Events);
        Assert.Equal(3, calls.Count);
    }

    [Fact]
    public void ASubscriber_IsCalledOnlyForTheKindsItFollows_AndNeverAfterItsSubscriptionEnds()
    {
        var clock = new FakeTimeProvider();
        var feed = new ActivityFeed(clock, NullLogger<ActivityFeed>.Instance);
        var calls = new List<ActivityKinds>();
        var subscription = feed.Subscribe(ActivityKinds.Checks, kinds =>
        {
            calls.Add(kinds);
            return Task.CompletedTask;
        });

        feed.Publish(ActivityKinds.Events | ActivityKinds.Deliveries);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(calls);

        feed.Publish(ActivityKinds.All);
        Assert.Equal([ActivityKinds.Checks], calls);
        feed.Publish(ActivityKinds.Checks);
        subscription.Dispose();
        clock.Advance(TimeSpan.FromMinutes(1));
        feed.Publish(ActivityKinds.Checks);
        Assert.Single(calls);
    }

    [Fact]
    public void ASlowSubscriber_IsNeverCalledTwiceAtOnce_AndCatchesUpWhenItIsDone()
    {
        var clock = new FakeTimeProvider();
        var feed = new ActivityFeed(clock, NullLogger<ActivityFeed>.Instance);
        var reloads = new List<TaskCompletionSource>();
        using var subscription = feed.Subscribe(ActivityKinds.Events, _ =>
        {
            var reload = new TaskCompletionSource();
            reloads.Add(reload);
            return reload.Task;
        });

        feed.Publish(ActivityKinds.Events);
        feed.Publish(ActivityKinds.Events);
        clock.Advance(TimeSpan.FromMinutes(1));
        // The first reload is still running: no second one beside it, however long it takes.
        Assert.Single(reloads);

        reloads[0].SetResult();
        // It took longer than the interval, so the change that came meanwhile is shown at once.
        Assert.Equal(2, reloads.Count);
        reloads[1].SetResult();
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(2, reloads.Count);
    }
}
