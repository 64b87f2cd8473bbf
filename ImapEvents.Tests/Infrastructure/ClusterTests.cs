using System.Diagnostics;
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
    private Process? worker;
    private readonly List<string> workerOutput = [];

    public Task InitializeAsync() => fixture.InitializeAsync();

    public async Task DisposeAsync()
    {
        if (worker is { HasExited: false })
        {
            worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync();
        }

        worker?.Dispose();
        await fixture.DisposeAsync();
    }

    private async Task StartWorkerProcessAsync()
    {
        // Free now; the worker takes it a moment later.
        var port = LoopbackTcpServer.ClosedPort();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "ImapEvents.Web.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["ConnectionStrings__Default"] = fixture.ConnectionString;
        start.Environment["App__WorkerOnly"] = "true";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // This test's own instance is a Development host without the key ring's certificate; both must read one ring.
        start.Environment["DataProtection__AllowUnprotectedKeys"] = "true";
        start.Environment["Jobs__CheckWorkers"] = "1";
        start.Environment["Jobs__ActionWorkers"] = "2";
        start.Environment["Actions__LogDirectory"] = fixture.LogDirectory;
        worker = Process.Start(start) ?? throw new InvalidOperationException("The worker process did not start.");
        worker.OutputDataReceived += (_, e) => { lock (workerOutput) { workerOutput.Add(e.Data ?? ""); } };
        worker.ErrorDataReceived += (_, e) => { lock (workerOutput) { workerOutput.Add(e.Data ?? ""); } };
        worker.BeginOutputReadLine();
        worker.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            Assert.False(worker.HasExited, "The worker process exited:\n" + WorkerOutput());
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{port}/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Still starting.
            }

            Assert.True(DateTime.UtcNow < deadline, "The worker process never became healthy:\n" + WorkerOutput());
            await Task.Delay(200);
        }
    }

    private string WorkerOutput()
    {
        lock (workerOutput)
        {
            return string.Join('\n', workerOutput.TakeLast(40));
        }
    }

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
