using Hangfire;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>
/// Hangfire keeps process-wide defaults (JobStorage.Current, JobActivator.Current). Two hosts in one
/// process, as in these tests or a worker beside a web host, must still each use their own database.
/// </summary>
public sealed class JobStorageIsolationTests : IAsyncLifetime
{
    private readonly TestDatabase first = new();
    private readonly TestDatabase second = new();

    public async Task InitializeAsync()
    {
        await first.InitializeAsync();
        await second.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await first.DisposeAsync();
        await second.DisposeAsync();
    }

    [Fact]
    public async Task TwoHostsInOneProcess_EnqueueIntoTheirOwnDatabase()
    {
        var settings = ImapEventsApp.WithBootstrapAdmin(new Dictionary<string, string?> { ["Jobs:RunServer"] = "false" });
        await using var appA = new ImapEventsApp(first.ConnectionString, settings);
        await using var appB = new ImapEventsApp(second.ConnectionString, settings);
        var clientA = appA.Services.GetRequiredService<IBackgroundJobClient>();
        _ = appB.Services.GetRequiredService<IBackgroundJobClient>();

        clientA.Enqueue(JobQueues.Default, () => Console.WriteLine("for A only"));

        Assert.NotSame(appA.Services.GetRequiredService<JobStorage>(), appB.Services.GetRequiredService<JobStorage>());
        Assert.Equal(1, await CountJobsAsync(first.ConnectionString));
        Assert.Equal(0, await CountJobsAsync(second.ConnectionString));
    }

    private static async Task<long> CountJobsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM hangfire.job WHERE invocationdata::text LIKE '%for A only%' OR arguments::text LIKE '%for A only%'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
