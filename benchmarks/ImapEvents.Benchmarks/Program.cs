using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/ImapEvents.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
