using BenchmarkDotNet.Attributes;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;

namespace ImapEvents.Benchmarks;

/// <summary>
/// Matching events against 10,000 rules: the compiled, indexed matcher against a naive evaluation of
/// every rule. Each benchmark matches a batch of 1,000 different events, so the figures are per 1,000.
/// </summary>
[MemoryDiagnoser]
public class RuleMatchingBenchmarks
{
    private const int EventsPerBatch = 1_000;

    private EventRule[] rules = [];
    private ImapEvent[] events = [];
    private CompiledRules compiled = CompiledRules.Empty;
    private TimeZoneInfo defaultZone = TimeZoneInfo.Utc;
    private readonly List<RuleMatch> results = new(capacity: 256);
    private readonly DateTimeOffset now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Params(10_000)]
    public int RuleCount { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (rules, events) = RealisticRuleSet.Create(RuleCount, EventsPerBatch, seed: 42);
        defaultZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        compiled = CompiledRules.Compile(rules, defaultZone, version: 1);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = EventsPerBatch)]
    public int Naive()
    {
        var matched = 0;
        foreach (var imapEvent in events)
        {
            foreach (var rule in rules)
            {
                if (rule.Enabled && RuleConditions.Hold(rule, imapEvent, CompiledRules.ResolveZone(rule.TimeZoneId, defaultZone)))
                {
                    matched++;
                }
            }
        }

        return matched;
    }

    [Benchmark(OperationsPerInvoke = EventsPerBatch)]
    public int Compiled()
    {
        var matched = 0;
        foreach (var imapEvent in events)
        {
            compiled.Match(imapEvent, now, results);
            matched += results.Count;
        }

        return matched;
    }
}
