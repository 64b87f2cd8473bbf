using ImapEvents.Infrastructure.Actions;
using ImapEvents.Tests.TestSupport;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>
/// A delivery whose attempt runs while PostgreSQL is out of reach, with Hangfire's servers running and the
/// app reaching the database through a relay the test cuts.
/// </summary>
public sealed class DeliveryDatabaseOutageTests : IAsyncLifetime
{
    /// <summary>How long the database is gone: longer than the first waits of the recording's retries.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(4);

    private readonly ActionFixture fixture = new(runJobServer: true, behindProxy: true);

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    [Fact]
    public async Task AnAttemptDuringADatabaseOutage_IsRecordedWhenTheDatabaseIsBack_AndNoRetryIsSpentOnIt()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.HoldAnswers();
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, ActionFixture.Webhook(receiver.Url("/hook")));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        await receiver.WaitForRequestAsync(timeoutSeconds: 60);

        // The database goes away while the receiver is answering, and comes back a few seconds later.
        var proxy = fixture.DatabaseProxy!;
        proxy.Cut();
        receiver.ReleaseAnswers();
        await Task.Delay(Outage);
        Assert.True(proxy.Refused > 0, "Nothing tried to reach the database during the outage.");
        proxy.Restore();

        // Not left Sending until a stale claim is taken over minutes later: recorded as it happened.
        var delivered = await fixture.WaitForDeliveryAsync(delivery.Id, DeliveryStatus.Delivered, timeoutSeconds: 60);
        Assert.Equal(1, delivered.Attempts);
        var attempt = Assert.Single(await fixture.AttemptsAsync(delivery.Id));
        Assert.True(attempt.Succeeded);
        Assert.Equal(200, attempt.ResponseCode);
        Assert.Single(receiver.Requests);
        Assert.DoesNotContain(fixture.App.Logs.Lines, line => line.Contains("being sent by another worker", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFailedAttemptDuringADatabaseOutage_IsRecordedAndRetried_NotLeftSending()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        receiver.AnswerWith(500);
        receiver.HoldAnswers();
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, ActionFixture.Webhook(receiver.Url("/hook")));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        await receiver.WaitForRequestAsync(timeoutSeconds: 60);

        var proxy = fixture.DatabaseProxy!;
        proxy.Cut();
        receiver.ReleaseAnswers();
        await Task.Delay(Outage);
        proxy.Restore();

        var retrying = await fixture.WaitForDeliveryAsync(delivery.Id, DeliveryStatus.Retrying, timeoutSeconds: 60);
        Assert.Equal(1, retrying.Attempts);
        Assert.Equal(500, Assert.Single(await fixture.AttemptsAsync(delivery.Id)).ResponseCode);
        // The retry (15 s later) is a real second attempt, which the receiver answers with 200.
        await fixture.WaitForDeliveryAsync(delivery.Id, DeliveryStatus.Delivered, timeoutSeconds: 60);
        Assert.Equal([500, 200], (await fixture.AttemptsAsync(delivery.Id)).Select(a => a.ResponseCode));
        Assert.DoesNotContain(fixture.App.Logs.Lines, line => line.Contains("being sent by another worker", StringComparison.Ordinal));
    }
}
