using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using Microsoft.EntityFrameworkCore;
using ImapEvents.Tests.TestSupport;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>With Hangfire's servers running: an event's action is delivered by a worker, not by the test.</summary>
public sealed class ActionJobServerTests : IAsyncLifetime
{
    private readonly ActionFixture fixture = new(runJobServer: true);

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    [Fact]
    public async Task AnEventsWebhook_IsDeliveredByAHangfireWorker()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        var hook = ActionFixture.Webhook(receiver.Url("/hook"));
        await fixture.SaveRuleAsync(user, hook);

        var imapEvent = await fixture.RaiseAsync(user);

        var request = await receiver.WaitForRequestAsync(timeoutSeconds: 60);
        Assert.Equal("POST", request.Method);
        var delivery = await fixture.WaitForDeliveryAsync(Assert.Single(await fixture.DeliveriesAsync(imapEvent.Id)).Id, DeliveryStatus.Delivered);
        Assert.Equal(delivery.Id.ToString(), request.Headers["webhook-id"]);
        Assert.NotNull(delivery.JobId);
    }

    [Fact]
    public async Task SendTestEvent_DeliversEveryActionOfTheRuleNow_EvenInsideItsMaxFrequency()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        var hook = ActionFixture.Webhook(receiver.Url("/hook"));
        var log = RuleAction.Create(ActionKind.LogToFile);
        log.FileName = $"test-event-{Guid.NewGuid():N}.log";
        log.Message = "{MailboxName}: {Error}";
        var rule = await fixture.SaveRuleAsync(user, hook, log);
        // A real firing first, so the log action's 15-minute window is open.
        await fixture.RaiseAsync(user);
        var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);

        var sent = await fixture.Service<TestEventSender>().SendAsync(admin.Id, rule.Id, default);

        Assert.True(sent.Succeeded, sent.Error);
        var deliveries = await fixture.DeliveriesAsync(sent.EventId!.Value);
        Assert.Equal(2, deliveries.Count);
        foreach (var delivery in deliveries)
        {
            Assert.Equal(DeliveryStatus.Delivered, (await fixture.WaitForDeliveryAsync(delivery.Id, DeliveryStatus.Delivered)).Status);
        }
        var request = await receiver.WaitForRequestAsync(2);
        Assert.Contains(user, request.Body, StringComparison.Ordinal);
        var lines = await File.ReadAllLinesAsync(Path.Combine(fixture.LogDirectory, log.FileName));
        Assert.Contains($"Test event: Test event sent by {ImapEventsApp.AdminEmail} from rule \"{rule.Name}\".", lines);

        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var stored = await db.Events.AsNoTracking().SingleAsync(e => e.Id == sent.EventId);
        Assert.True(stored.IsTest);
        Assert.Equal(user, stored.LoginUsername);
        Assert.Equal(ImapEventType.LoginFailed, stored.Type);
        Assert.Equal([rule.Id], await db.RuleMatches.Where(m => m.EventId == stored.Id).Select(m => m.RuleId).ToListAsync());
        Assert.Equal(0, await fixture.Service<RuleAdministration>().WouldHaveFiredAsync(new EventRule { EventType = ImapEventType.LoginFailed, LoginUsername = "test@example.com" }, default));
    }
}
