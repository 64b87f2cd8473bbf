using BenchmarkDotNet.Running;
using ImapEvents.Benchmarks;

// Rule matching:   dotnet run -c Release --project benchmarks/ImapEvents.Benchmarks -- --filter '*'
// Mailbox checks:  scripts/bench.sh checks   (starts PostgreSQL and Dovecot, then runs "-- checks")
// Event storms:    scripts/bench.sh storm    (starts the same services, then runs "-- storm")
// Scale:           scripts/bench.sh scale    (starts the same services, then runs "-- scale", which runs the published app)
if (args.Length > 0 && args[0] == "checks")
{
    return await CheckCostHarness.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "storm")
{
    return await EventStormHarness.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "scale")
{
    return await ScaleHarness.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
