using System.Collections.Frozen;
using ImapEvents.Core.Events;

namespace ImapEvents.Core.Rules;

/// <summary>One rule that matched an event; a snoozed rule matches but fires nothing.</summary>
public readonly record struct RuleMatch(Guid RuleId, string RuleName, bool Snoozed);

/// <summary>
/// The enabled rules, compiled once when they change and indexed by event type and exact server
/// name, so matching an event looks at a few candidates instead of every rule and allocates nothing.
/// </summary>
public sealed class CompiledRules
{
    private readonly Bucket[] buckets;
    private readonly TimeZoneInfo[] zones;

    private CompiledRules(Bucket[] buckets, TimeZoneInfo[] zones, int count, long version)
    {
        this.buckets = buckets;
        this.zones = zones;
        Count = count;
        Version = version;
    }

    public static readonly CompiledRules Empty = Compile([], TimeZoneInfo.Utc, version: 0);

    /// <summary>How many enabled rules are compiled.</summary>
    public int Count { get; }

    /// <summary>The rule-set version this was compiled from, to tell when another instance changed the rules.</summary>
    public long Version { get; }

    /// <param name="defaultZone">The zone for rules that name none, and for names this machine does not know.</param>
    public static CompiledRules Compile(IEnumerable<EventRule> rules, TimeZoneInfo defaultZone, long version)
    {
        var zoneIndex = new Dictionary<string, int>(StringComparer.Ordinal) { [defaultZone.Id] = 0 };
        var zoneList = new List<TimeZoneInfo> { defaultZone };
        var byType = new Dictionary<ImapEventType, (Dictionary<string, List<CompiledRule>> Exact, List<CompiledRule> Other)>();
        var count = 0;

        foreach (var rule in rules.Where(r => r.Enabled).OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase).ThenBy(r => r.Id))
        {
            var zone = ResolveZone(rule.TimeZoneId, defaultZone);
            if (!zoneIndex.TryGetValue(zone.Id, out var zoneSlot))
            {
                zoneSlot = zoneList.Count;
                zoneIndex[zone.Id] = zoneSlot;
                zoneList.Add(zone);
            }

            var compiled = new CompiledRule(rule, zoneSlot);
            if (!byType.TryGetValue(rule.EventType, out var bucket))
            {
                bucket = (new Dictionary<string, List<CompiledRule>>(StringComparer.OrdinalIgnoreCase), []);
                byType[rule.EventType] = bucket;
            }

            if (compiled.Server.IsExact && !compiled.Server.IsAny)
            {
                if (!bucket.Exact.TryGetValue(compiled.Server.Text, out var list))
                {
                    list = [];
                    bucket.Exact[compiled.Server.Text] = list;
                }

                list.Add(compiled);
            }
            else
            {
                bucket.Other.Add(compiled);
            }

            count++;
        }

        var buckets = new Bucket[Enum.GetValues<ImapEventType>().Max(t => (int)t) + 1];
        foreach (var (type, bucket) in byType)
        {
            buckets[(int)type] = new Bucket(
                bucket.Exact.ToFrozenDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.OrdinalIgnoreCase),
                bucket.Other.ToArray());
        }

        return new CompiledRules(buckets, zoneList.ToArray(), count, version);
    }

    /// <summary>Clears <paramref name="results"/> and fills it with the rules that match, in name order per index part.</summary>
    public void Match(ImapEvent imapEvent, DateTimeOffset now, List<RuleMatch> results)
    {
        results.Clear();
        var index = (int)imapEvent.Type;
        if (index < 0 || index >= buckets.Length || buckets[index] is not { } bucket)
        {
            return;
        }

        // Local time per zone, computed only for zones a candidate needs.
        Span<long> localTicks = zones.Length <= 64 ? stackalloc long[zones.Length] : new long[zones.Length];
        localTicks.Clear();

        if (bucket.Exact.TryGetValue(imapEvent.ServerName, out var exact))
        {
            Collect(exact, imapEvent, now, localTicks, results);
        }

        Collect(bucket.Other, imapEvent, now, localTicks, results);
    }

    private void Collect(CompiledRule[] candidates, ImapEvent imapEvent, DateTimeOffset now, Span<long> localTicks, List<RuleMatch> results)
    {
        foreach (var rule in candidates)
        {
            if (!rule.HoldsIgnoringTime(imapEvent))
            {
                continue;
            }

            if (rule.NeedsLocalTime)
            {
                if (localTicks[rule.ZoneSlot] == 0)
                {
                    localTicks[rule.ZoneSlot] = TimeZoneInfo.ConvertTime(imapEvent.OccurredAt, zones[rule.ZoneSlot]).DateTime.Ticks;
                }

                if (!rule.HoldsAt(new DateTime(localTicks[rule.ZoneSlot], DateTimeKind.Unspecified)))
                {
                    continue;
                }
            }

            results.Add(new RuleMatch(rule.Id, rule.Name, rule.SnoozedUntil is { } until && until > now));
        }
    }

    public static TimeZoneInfo ResolveZone(string? zoneId, TimeZoneInfo defaultZone) =>
        !string.IsNullOrWhiteSpace(zoneId) && TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone) ? zone : defaultZone;

    private sealed record Bucket(FrozenDictionary<string, CompiledRule[]> Exact, CompiledRule[] Other);

    private sealed class CompiledRule(EventRule rule, int zoneSlot)
    {
        private readonly int? port = rule.ServerPort;
        private readonly SslCondition ssl = rule.Ssl;
        private readonly WildcardPattern username = WildcardPattern.Parse(rule.LoginUsername);
        private readonly DaysOfWeek days = rule.DaysOfWeek;
        private readonly TimeOnly? from = rule.HasTimeOfDay ? rule.TimeFrom : null;
        private readonly TimeOnly? to = rule.HasTimeOfDay ? rule.TimeTo : null;

        public Guid Id { get; } = rule.Id;

        public string Name { get; } = rule.Name;

        public DateTimeOffset? SnoozedUntil { get; } = rule.SnoozedUntil;

        public WildcardPattern Server { get; } = WildcardPattern.Parse(rule.ServerName);

        public int ZoneSlot { get; } = zoneSlot;

        public bool NeedsLocalTime => days != DaysOfWeek.None || from is not null;

        public bool HoldsIgnoringTime(ImapEvent imapEvent) =>
            (port is not { } p || p == imapEvent.ServerPort)
            && (ssl == SslCondition.Any || (ssl == SslCondition.True) == imapEvent.Ssl)
            && Server.IsMatch(imapEvent.ServerName)
            && username.IsMatch(imapEvent.LoginUsername);

        public bool HoldsAt(DateTime local) =>
            RuleConditions.DayHolds(days, local.DayOfWeek)
            && (from is not { } start || RuleConditions.TimeHolds(start, to!.Value, TimeOnly.FromDateTime(local)));
    }
}
