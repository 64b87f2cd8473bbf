using System.Net;
using Hangfire;
using ImapEvents.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.Web;

public sealed class WorkerOnlyTests : IAsyncLifetime
{
    private readonly TestDatabase database = new();

    public Task InitializeAsync() => database.InitializeAsync();

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task AWorkerOnlyInstance_RunsJobServers_AndServesNoUserInterface()
    {
        await using var worker = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin(new Dictionary<string, string?> { ["App:WorkerOnly"] = "true" }));
        var client = worker.CreateClient(new() { AllowAutoRedirect = false });

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/Account/Login")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/hangfire")).StatusCode);
        Assert.Equal("Healthy", await client.GetStringAsync("/healthz"));
        Assert.Equal("Healthy", await client.GetStringAsync("/readyz"));
        // Its metrics too, to this machine only: an in-process test client has no address.
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/metrics")).StatusCode);

        var monitoring = worker.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (monitoring.Servers().Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Contains(monitoring.Servers(), server => server.Queues.Contains("checks"));
        Assert.Contains(monitoring.Servers(), server => server.Queues.Contains("actions"));
    }
}
