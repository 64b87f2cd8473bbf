using System.Diagnostics;
using System.Globalization;
using ImapEvents.Infrastructure;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ImapEvents.Benchmarks;

/// <summary>What one <see cref="Harness.MeasureAsync{T}"/> run measured, for harnesses that compare runs.</summary>
internal sealed record Measurement(int Items, TimeSpan Elapsed, TimeSpan Cpu, int Failed)
{
    public double CpuMillisecondsPerItem => Items == 0 ? 0 : Cpu.TotalMilliseconds / Items;

    public double ItemsPerSecond => Items / Elapsed.TotalSeconds;
}

/// <summary>What the load harnesses share: a migrated database of their own with the app's services, and a stopwatch that prints.</summary>
internal sealed class Harness : IAsyncDisposable
{
    private readonly string adminConnectionString;
    private readonly string database;

    private Harness(string adminConnectionString, string database, string connectionString, ServiceProvider services)
    {
        this.adminConnectionString = adminConnectionString;
        this.database = database;
        ConnectionString = connectionString;
        Services = services;
    }

    public ServiceProvider Services { get; }

    /// <summary>The harness's database, as the app's own ConnectionStrings__Default would name it.</summary>
    public string ConnectionString { get; }

    /// <param name="logLevel">The least the console shows; a storm logs one warning per event, which would flood it.</param>
    /// <param name="settings">More configuration for the harness's services (such as the key ring's certificate, to share it with an app process).</param>
    public static async Task<Harness> StartAsync(
        string adminConnectionString, LogLevel logLevel = LogLevel.Warning, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var database = $"bench_{Guid.NewGuid():N}";
        await ExecuteAsync(adminConnectionString, $"CREATE DATABASE \"{database}\"");
        var connectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database }.ConnectionString;
        var configuration = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Default"] = connectionString,
            ["Jobs:RunServer"] = "false",
            ["Actions:LogDirectory"] = Path.Combine(Path.GetTempPath(), database),
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[name] = value;
        }

        var services = new ServiceCollection();
        // EF Core logs the first look for the migrations table of a new database as a failed command; it is not one.
        services.AddLogging(logging => logging.SetMinimumLevel(logLevel).AddSimpleConsole()
            .AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.Critical));
        var built = new ConfigurationBuilder().AddInMemoryCollection(configuration).Build();
        // A host registers its configuration; options bound from it (BindConfiguration) look for it there.
        services.AddSingleton<IConfiguration>(built);
        services.AddInfrastructure(built);
        var provider = services.BuildServiceProvider();
        await using (var scope = provider.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<AppDbContext>().Database.MigrateAsync();
        }

        return new Harness(adminConnectionString, database, connectionString, provider);
    }

    public static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }

    /// <summary>Runs the work over the items, <paramref name="parallel"/> at a time, and prints wall time, rate, this process's CPU and allocation per item.</summary>
    public static async Task<Measurement> MeasureAsync<T>(
        string label, string unit, IReadOnlyList<T> items, int parallel, Func<T, CancellationToken, Task<bool>> work, CancellationToken cancellationToken = default)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var clock = Stopwatch.StartNew();
        var failed = 0;

        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken }, async (item, token) =>
        {
            if (!await work(item, token))
            {
                Interlocked.Increment(ref failed);
            }
        });

        clock.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label,-40} {items.Count} {unit}s in {clock.Elapsed.TotalMilliseconds,7:0} ms = {items.Count / clock.Elapsed.TotalSeconds,6:0} {unit}s/s; " +
            $"CPU {cpu.TotalMilliseconds / items.Count,5:0.00} ms/{unit}; {allocated / items.Count / 1024.0,6:0} KB allocated/{unit}; {failed} failed"));
        return new Measurement(items.Count, clock.Elapsed, cpu, failed);
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync(adminConnectionString, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
