using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;

namespace ImapEvents.Benchmarks;

/// <summary>
/// A rule set shaped like a large installation's: most rules name one exact server (one per
/// customer mailbox host), some use wildcards, some only watch a time window or a set of days.
/// </summary>
public static class RealisticRuleSet
{
    public static (EventRule[] Rules, ImapEvent[] Events) Create(int ruleCount, int eventCount, int seed)
    {
        var random = new Random(seed);
        var types = Enum.GetValues<ImapEventType>();
        var hosts = Enumerable.Range(0, Math.Max(1, ruleCount / 4)).Select(i => $"imap{i}.customer{i % 997}.example").ToArray();
        string?[] zones = [null, "UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"];

        var rules = new EventRule[ruleCount];
        for (var i = 0; i < ruleCount; i++)
        {
            var kind = random.Next(100);
            var rule = new EventRule
            {
                Id = Guid.NewGuid(),
                Name = $"Rule {i}",
                EventType = types[random.Next(types.Length)],
                Enabled = random.Next(20) > 0,
            };
            if (kind < 75)
            {
                rule.ServerName = hosts[random.Next(hosts.Length)];
            }
            else if (kind < 85)
            {
                rule.ServerName = $"*.customer{random.Next(997)}.example";
            }
            else if (kind < 90)
            {
                rule.LoginUsername = $"*@customer{random.Next(997)}.example";
            }

            if (random.Next(100) < 30)
            {
                rule.TimeFrom = new TimeOnly(random.Next(24), 0);
                rule.TimeTo = new TimeOnly(random.Next(24), 0);
                rule.TimeZoneId = zones[random.Next(zones.Length)];
            }

            if (random.Next(100) < 30)
            {
                rule.DaysOfWeek = random.Next(2) == 0 ? DaysOfWeek.Weekdays : (DaysOfWeek)random.Next(1, 128);
                rule.TimeZoneId ??= zones[random.Next(zones.Length)];
            }

            if (random.Next(100) < 20)
            {
                rule.ServerPort = random.Next(2) == 0 ? 993 : 143;
            }

            if (random.Next(100) < 20)
            {
                rule.Ssl = (SslCondition)random.Next(1, 3);
            }

            rules[i] = rule;
        }

        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var events = new ImapEvent[eventCount];
        for (var i = 0; i < eventCount; i++)
        {
            var host = hosts[random.Next(hosts.Length)];
            events[i] = new ImapEvent
            {
                Id = Guid.NewGuid(),
                Type = types[random.Next(types.Length)],
                ServerName = host,
                ServerPort = random.Next(2) == 0 ? 993 : 143,
                LoginUsername = $"support@{host[(host.IndexOf('.', StringComparison.Ordinal) + 1)..]}",
                Ssl = random.Next(4) > 0,
                OccurredAt = start.AddMinutes(random.Next(60 * 24 * 30)),
            };
        }

        return (rules, events);
    }
}
