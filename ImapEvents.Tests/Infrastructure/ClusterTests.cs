using Hangfire;
using ImapEvents.Core.Actions;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>
/// Two real processes on one PostgreSQL (SPEC §7): this test's app serves the UI and runs no job server;
/// a second process, started from the built app with App__WorkerOnly=true, does the work.
/// </summary>
public sealed class ClusterTests : IAsyncLifetime
{
    private readonly ActionFixture fixture = new(runJobServer: false);
    private AppProcess? worker;

    public Task InitializeAsync() => fixture.InitializeAsync();

    public async Task DisposeAsync()
    {
        if (worker is not null)
        {
            await worker.DisposeAsync();
        }

        await fixture.DisposeAsync();
    }

    private async Task StartWorkerProcessAsync() =>
        worker = await AppProcess.StartAsync(fixture.ConnectionString, new Dictionary<string, string>
        {
            ["App__WorkerOnly"] = "true",
            ["Jobs__CheckWorkers"] = "1",
            ["Jobs__ActionWorkers"] = "2",
            ["Actions__LogDirectory"] = fixture.LogDirectory,
        });

    [Fact]
    public async Task AnEventOnAUiOnlyInstance_IsDeliveredByAWorkerOnlyProcess()
    {
        await StartWorkerProcessAsync();
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        var hook = ActionFixture.Webhook(receiver.Url("/hook"));
        await fixture.SaveRuleAsync(user, hook);

        var imapEvent = await fixture.RaiseAsync(user);

        var request = await receiver.WaitForRequestAsync(timeoutSeconds: 60);
        var delivery = await fixture.WaitForDeliveryAsync(Assert.Single(await fixture.DeliveriesAsync(imapEvent.Id)).Id, DeliveryStatus.Delivered);
        Assert.Equal(delivery.Id.ToString(), request.Headers["webhook-id"]);
        // The job ran on the other process's "actions" server, not here (this instance runs none).
        var history = fixture.Service<JobStorage>().GetMonitoringApi().JobDetails(delivery.JobId).History;
        var processing = history.First(state => state.StateName == "Processing");
        Assert.Contains($":{worker!.Id}:actions", processing.Data["ServerId"], StringComparison.Ordinal);
    }
}
