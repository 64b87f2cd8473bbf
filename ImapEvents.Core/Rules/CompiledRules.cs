using System.Collections.Frozen;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;

namespace ImapEvents.Core.Rules;

/// <summary>One rule that matched an event, with its actions as compiled; a snoozed rule matches but fires nothing.</summary>
/// <param name="OwnerId">The administrator who created the rule: Use My Notification Profile reaches them.</param>
/// <param name="Incidents">How the rule notifies about incidents; null means the defaults (every event).</param>
/// <param name="EscalationActions">What "Escalate after M minutes" runs.</param>
public readonly record struct RuleMatch(
    Guid RuleId, string RuleName, bool Snoozed, IReadOnlyList<RuleAction> Actions, string OwnerId = "",
    IncidentOptions? Incidents = null, IReadOnlyList<RuleAction>? EscalationActions = null)
{
    public IncidentOptions Options => Incidents ?? IncidentOptions.Default;
}

/// <summary>
/// The enabled rules, compiled once when they change and indexed by event type and exact server
/// name, so matching an event looks at a few candidates instead of every rule and allocates nothing.
/// </summary>
public sealed class CompiledRules
{
    private readonly Bucket[] buckets;
    private readonly TimeZoneInfo[] zones;
    private readonly FrozenDictionary<Guid, CompiledRule> byId;

    private CompiledRules(Bucket[] buckets, TimeZoneInfo[] zones, FrozenDictionary<Guid, CompiledRule> byId, int count, long version)
    {
        this.buckets = buckets;
        this.zones = zones;
        this.byId = byId;
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
        var byType = new Dictionary<ImapEventType, BucketBuilder>();
        var byId = new Dictionary<Guid, CompiledRule>();
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
                bucket = new BucketBuilder();
                byType[rule.EventType] = bucket;
            }

            bucket.Add(compiled);
            byId[rule.Id] = compiled;
            count++;
        }

        var buckets = new Bucket[Enum.GetValues<ImapEventType>().Max(t => (int)t) + 1];
        foreach (var (type, bucket) in byType)
        {
            buckets[(int)type] = bucket.Build();
        }

        return new CompiledRules(buckets, zoneList.ToArray(), byId.ToFrozenDictionary(), count, version);
    }

    /// <summary>
    /// An enabled rule by id, as a match, without its conditions: for what a rule owes an incident it notified
    /// about earlier (recovery, escalation, a group, the end of maintenance). A disabled or deleted rule owes nothing.
    /// </summary>
    public bool TryGet(Guid ruleId, DateTimeOffset now, out RuleMatch match)
    {
        if (byId.TryGetValue(ruleId, out var rule))
        {
            match = rule.ToMatch(now);
            return true;
        }

        match = default;
        return false;
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

        if (bucket.ExactServer.TryGetValue(imapEvent.ServerName, out var exact))
        {
            Collect(exact, imapEvent, now, localTicks, results);
        }

        // "*.example.com" rules, looked up by each domain suffix of the server name.
        if (bucket.ServerSuffix.Count > 0)
        {
            var lookup = bucket.ServerSuffix.GetAlternateLookup<ReadOnlySpan<char>>();
            var server = imapEvent.ServerName.AsSpan();
            for (var dot = server.IndexOf('.'); dot >= 0; dot = NextDot(server, dot))
            {
                if (lookup.TryGetValue(server[dot..], out var bySuffix))
                {
                    Collect(bySuffix, imapEvent, now, localTicks, results);
                }
            }
        }

        // "*@example.com" rules (on any server), looked up by the username's domain.
        if (bucket.UserDomain.Count > 0)
        {
            var user = imapEvent.LoginUsername.AsSpan();
            var at = user.LastIndexOf('@');
            if (at >= 0 && bucket.UserDomain.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(user[at..], out var byDomain))
            {
                Collect(byDomain, imapEvent, now, localTicks, results);
            }
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

            results.Add(rule.ToMatch(now));
        }
    }

    public static TimeZoneInfo ResolveZone(string? zoneId, TimeZoneInfo defaultZone) =>
        !string.IsNullOrWhiteSpace(zoneId) && TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone) ? zone : defaultZone;

    private static int NextDot(ReadOnlySpan<char> server, int dot)
    {
        var next = server[(dot + 1)..].IndexOf('.');
        return next < 0 ? -1 : dot + 1 + next;
    }

    private sealed record Bucket(
        FrozenDictionary<string, CompiledRule[]> ExactServer,
        FrozenDictionary<string, CompiledRule[]> ServerSuffix,
        FrozenDictionary<string, CompiledRule[]> UserDomain,
        CompiledRule[] Other);

    /// <summary>Sorts each rule into the most selective index its conditions allow.</summary>
    private sealed class BucketBuilder
    {
        private readonly Dictionary<string, List<CompiledRule>> exactServer = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, List<CompiledRule>> serverSuffix = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, List<CompiledRule>> userDomain = new(StringComparer.OrdinalIgnoreCase);
        private readonly List<CompiledRule> other = [];

        public void Add(CompiledRule rule)
        {
            if (rule.Server.IsExact && !rule.Server.IsAny)
            {
                Into(exactServer, rule.Server.Text, rule);
            }
            else if (DomainSuffix(rule.Server, '.') is { } suffix)
            {
                Into(serverSuffix, suffix, rule);
            }
            else if (rule.Server.IsAny && DomainSuffix(rule.Username, '@') is { } domain)
            {
                Into(userDomain, domain, rule);
            }
            else
            {
                other.Add(rule);
            }
        }

        public Bucket Build() => new(Freeze(exactServer), Freeze(serverSuffix), Freeze(userDomain), other.ToArray());

        /// <summary>For "*.example.com" the key ".example.com"; for "*@example.com" the key "@example.com"; otherwise null.</summary>
        private static string? DomainSuffix(WildcardPattern pattern, char separator)
        {
            var text = pattern.Text;
            return text.Length > 2 && text[0] == '*' && text[1] == separator && text.IndexOf('*', 1) < 0
                && (separator != '@' || text.IndexOf('@', 2) < 0)
                ? text[1..]
                : null;
        }

        private static void Into(Dictionary<string, List<CompiledRule>> index, string key, CompiledRule rule)
        {
            if (!index.TryGetValue(key, out var list))
            {
                list = [];
                index[key] = list;
            }

            list.Add(rule);
        }

        private static FrozenDictionary<string, CompiledRule[]> Freeze(Dictionary<string, List<CompiledRule>> index) =>
            index.ToFrozenDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.OrdinalIgnoreCase);
    }

    private sealed class CompiledRule(EventRule rule, int zoneSlot)
    {
        private readonly int? port = rule.ServerPort;
        private readonly SslCondition ssl = rule.Ssl;
        public WildcardPattern Username { get; } = WildcardPattern.Parse(rule.LoginUsername);
        private readonly DaysOfWeek days = rule.DaysOfWeek;
        private readonly TimeOnly? from = rule.HasTimeOfDay ? rule.TimeFrom : null;
        private readonly TimeOnly? to = rule.HasTimeOfDay ? rule.TimeTo : null;

        public Guid Id { get; } = rule.Id;

        public string Name { get; } = rule.Name;

        public string OwnerId { get; } = rule.OwnerId;

        // A copy: the compiled set must not change under a dispatch if the caller's rule objects do.
        public IReadOnlyList<RuleAction> Actions { get; } = rule.Actions.Select(a => a.Copy()).ToArray();

        public IReadOnlyList<RuleAction> EscalationActions { get; } = rule.EscalationActions.Select(a => a.Copy()).ToArray();

        public IncidentOptions Incidents { get; } = IncidentOptions.Of(rule);

        public DateTimeOffset? SnoozedUntil { get; } = rule.SnoozedUntil;

        public WildcardPattern Server { get; } = WildcardPattern.Parse(rule.ServerName);

        public int ZoneSlot { get; } = zoneSlot;

        public RuleMatch ToMatch(DateTimeOffset now) =>
            new(Id, Name, SnoozedUntil is { } until && until > now, Actions, OwnerId, Incidents, EscalationActions);

        public bool NeedsLocalTime => days != DaysOfWeek.None || from is not null;

        public bool HoldsIgnoringTime(ImapEvent imapEvent) =>
            (port is not { } p || p == imapEvent.ServerPort)
            && (ssl == SslCondition.Any || (ssl == SslCondition.True) == imapEvent.Ssl)
            && Server.IsMatch(imapEvent.ServerName)
            && Username.IsMatch(imapEvent.LoginUsername);

        public bool HoldsAt(DateTime local) =>
            RuleConditions.DayHolds(days, local.DayOfWeek)
            && (from is not { } start || RuleConditions.TimeHolds(start, to!.Value, TimeOnly.FromDateTime(local)));
    }
}
