using ImapEvents.Core.Actions;
using ImapEvents.Infrastructure.Actions;
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
        var hook = RuleAction.Create(ActionKind.CallWebhook);
        hook.Url = receiver.Url("/hook");
        hook.NewSecret = WebhookSecrets.Generate();
        await fixture.SaveRuleAsync(user, hook);

        var imapEvent = await fixture.RaiseAsync(user);

        var request = await receiver.WaitForRequestAsync(timeoutSeconds: 60);
        Assert.Equal("POST", request.Method);
        var delivery = Assert.Single(await fixture.DeliveriesAsync(imapEvent.Id));
        for (var i = 0; i < 100 && delivery.Status != DeliveryStatus.Delivered; i++)
        {
            await Task.Delay(100);
            delivery = await fixture.DeliveryAsync(delivery.Id);
        }

        Assert.Equal(DeliveryStatus.Delivered, delivery.Status);
        Assert.Equal(delivery.Id.ToString("N"), request.Headers["webhook-id"]);
        Assert.NotNull(delivery.JobId);
    }
}
