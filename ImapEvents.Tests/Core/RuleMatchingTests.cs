using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;

namespace ImapEvents.Tests.Core;

public sealed class RuleMatchingTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static ImapEvent Event(
        ImapEventType type = ImapEventType.LoginFailed,
        string server = "imap.example.com",
        int port = 993,
        string user = "support@example.com",
        bool ssl = true,
        DateTimeOffset? at = null) => new()
        {
            Id = Guid.NewGuid(),
            Type = type,
            ServerName = server,
            ServerPort = port,
            LoginUsername = user,
            Ssl = ssl,
            OccurredAt = at ?? Now,
        };

    private static EventRule Rule(Action<EventRule>? configure = null)
    {
        var rule = new EventRule { Id = Guid.NewGuid(), Name = "rule", EventType = ImapEventType.LoginFailed };
        configure?.Invoke(rule);
        return rule;
    }

    /// <summary>Matches through the compiled index, and checks the plain reading agrees.</summary>
    private static List<RuleMatch> Match(ImapEvent imapEvent, params EventRule[] rules) => Match(imapEvent, TimeZoneInfo.Utc, rules);

    private static List<RuleMatch> Match(ImapEvent imapEvent, TimeZoneInfo defaultZone, params EventRule[] rules)
    {
        var results = new List<RuleMatch>();
        CompiledRules.Compile(rules, defaultZone, version: 1).Match(imapEvent, Now, results);
        var expected = rules.Where(r => r.Enabled && RuleConditions.Hold(r, imapEvent, CompiledRules.ResolveZone(r.TimeZoneId, defaultZone))).Select(r => r.Id).Order();
        Assert.Equal(expected, results.Select(m => m.RuleId).Order());
        return results;
    }

    [Fact]
    public void ARuleWithNoConditionsBeyondTheType_MatchesEveryEventOfThatType()
    {
        var rule = Rule();

        Assert.Single(Match(Event(), rule));
        Assert.Empty(Match(Event(type: ImapEventType.ConnectionFailed), rule));
    }

    [Fact]
    public void ADisabledRule_NeverMatches() => Assert.Empty(Match(Event(), Rule(r => r.Enabled = false)));

    [Fact]
    public void ASnoozedRule_MatchesAsSnoozed_UntilTheSnoozeEnds()
    {
        var snoozed = Rule(r => r.SnoozedUntil = Now.AddHours(1));
        var expired = Rule(r => r.SnoozedUntil = Now.AddHours(-1));

        var matches = Match(Event(), snoozed, expired);

        Assert.True(matches.Single(m => m.RuleId == snoozed.Id).Snoozed);
        Assert.False(matches.Single(m => m.RuleId == expired.Id).Snoozed);
    }

    [Theory]
    [InlineData("imap.example.com", "imap.example.com", true)]
    [InlineData("IMAP.Example.COM", "imap.example.com", true)]
    [InlineData("*.example.com", "imap.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("imap.*", "imap.example.com", true)]
    [InlineData("*example*", "imap.example.com", true)]
    [InlineData("imap*.com", "imap2.example.com", true)]
    [InlineData("imap*.com", "imap.example.org", false)]
    [InlineData("a*b*c", "aXbYc", true)]
    [InlineData("a*b*c", "aXcYb", false)]
    [InlineData("a*a", "a", false)]
    [InlineData("*", "anything", true)]
    [InlineData("", "anything", true)]
    [InlineData(null, "anything", true)]
    [InlineData("imap.example.com", "imap.example.com.evil", false)]
    public void ServerName_MatchesCaseInsensitively_WithWildcards(string? pattern, string server, bool matches) =>
        Assert.Equal(matches, Match(Event(server: server), Rule(r => r.ServerName = pattern)).Count == 1);

    [Theory]
    [InlineData("support@example.com", true)]
    [InlineData("SUPPORT@EXAMPLE.COM", true)]
    [InlineData("*@example.com", true)]
    [InlineData("sales@*", false)]
    [InlineData(null, true)]
    public void LoginUsername_MatchesCaseInsensitively_WithWildcards(string? pattern, bool matches) =>
        Assert.Equal(matches, Match(Event(user: "support@example.com"), Rule(r => r.LoginUsername = pattern)).Count == 1);

    [Theory]
    [InlineData(993, 993, true)]
    [InlineData(143, 993, false)]
    [InlineData(null, 993, true)]
    public void ServerPort_MustBeEqual_WhenSet(int? rulePort, int eventPort, bool matches) =>
        Assert.Equal(matches, Match(Event(port: eventPort), Rule(r => r.ServerPort = rulePort)).Count == 1);

    [Theory]
    [InlineData(SslCondition.Any, true, true)]
    [InlineData(SslCondition.Any, false, true)]
    [InlineData(SslCondition.True, true, true)]
    [InlineData(SslCondition.True, false, false)]
    [InlineData(SslCondition.False, false, true)]
    [InlineData(SslCondition.False, true, false)]
    public void Ssl_IsTrueFalseOrAny(SslCondition condition, bool eventSsl, bool matches) =>
        Assert.Equal(matches, Match(Event(ssl: eventSsl), Rule(r => r.Ssl = condition)).Count == 1);

    [Theory]
    [InlineData(9, 17, 8, 59, false)]
    [InlineData(9, 17, 9, 0, true)]
    [InlineData(9, 17, 16, 59, true)]
    [InlineData(9, 17, 17, 0, false)]
    [InlineData(22, 6, 23, 30, true)]
    [InlineData(22, 6, 0, 0, true)]
    [InlineData(22, 6, 5, 59, true)]
    [InlineData(22, 6, 6, 0, false)]
    [InlineData(22, 6, 12, 0, false)]
    public void TimeOfDay_FromInclusiveToExclusive_AndWrapsMidnight(int from, int to, int hour, int minute, bool matches)
    {
        var at = new DateTimeOffset(2026, 11, 27, hour, minute, 0, TimeSpan.Zero);

        var result = Match(Event(at: at), Rule(r => { r.TimeFrom = new TimeOnly(from, 0); r.TimeTo = new TimeOnly(to, 0); r.TimeZoneId = "UTC"; }));

        Assert.Equal(matches, result.Count == 1);
    }

    [Fact]
    public void DayOfWeek_IsTheDayInTheRulesZone_EitherSideOfMidnight()
    {
        // Friday 23:30 UTC is already Saturday 00:30 in Berlin (CET, UTC+1).
        var fridayNightUtc = new DateTimeOffset(2026, 11, 27, 23, 30, 0, TimeSpan.Zero);
        var saturdayInBerlin = Rule(r => { r.DaysOfWeek = DaysOfWeek.Saturday; r.TimeZoneId = "Europe/Berlin"; });
        var fridayInUtc = Rule(r => { r.DaysOfWeek = DaysOfWeek.Friday; r.TimeZoneId = "UTC"; });
        var fridayInBerlin = Rule(r => { r.DaysOfWeek = DaysOfWeek.Friday; r.TimeZoneId = "Europe/Berlin"; });

        var matches = Match(Event(at: fridayNightUtc), saturdayInBerlin, fridayInUtc, fridayInBerlin);

        Assert.Equal(new[] { saturdayInBerlin.Id, fridayInUtc.Id }.Order(), matches.Select(m => m.RuleId).Order());
    }

    [Fact]
    public void ARuleWithoutAZone_UsesTheServersConfiguredZone()
    {
        var rule = Rule(r => { r.TimeFrom = new TimeOnly(0, 0); r.TimeTo = new TimeOnly(1, 0); });
        var midnightInBerlin = new DateTimeOffset(2026, 11, 27, 23, 15, 0, TimeSpan.Zero);

        Assert.Single(Match(Event(at: midnightInBerlin), Berlin, rule));
        Assert.Empty(Match(Event(at: midnightInBerlin), TimeZoneInfo.Utc, rule));
    }

    [Theory]
    // Berlin moves from 02:00 CET to 03:00 CEST on 29 March 2026. A 01:00–03:00 window is one hour long that night.
    [InlineData("2026-03-29T00:30:00Z", true)] // 01:30 CET
    [InlineData("2026-03-29T00:59:00Z", true)] // 01:59 CET
    [InlineData("2026-03-29T01:00:00Z", false)] // 03:00 CEST
    [InlineData("2026-03-28T01:30:00Z", true)] // the day before: 02:30 CET
    // Back from 03:00 CEST to 02:00 CET on 25 October 2026: 02:30 happens twice, both in the window.
    [InlineData("2026-10-25T00:30:00Z", true)] // 02:30 CEST
    [InlineData("2026-10-25T01:30:00Z", true)] // 02:30 CET
    [InlineData("2026-10-25T02:30:00Z", false)] // 03:30 CET
    public void TimeOfDay_FollowsDaylightSavingTransitions(string utc, bool matches)
    {
        var rule = Rule(r => { r.TimeFrom = new TimeOnly(1, 0); r.TimeTo = new TimeOnly(3, 0); r.TimeZoneId = "Europe/Berlin"; });

        Assert.Equal(matches, Match(Event(at: DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture)), rule).Count == 1);
    }

    [Fact]
    public void EveryConditionThatIsSet_MustHold()
    {
        var rule = Rule(r =>
        {
            r.ServerName = "*.example.com";
            r.ServerPort = 993;
            r.LoginUsername = "support@*";
            r.Ssl = SslCondition.True;
            r.DaysOfWeek = DaysOfWeek.Weekdays;
            r.TimeFrom = new TimeOnly(8, 0);
            r.TimeTo = new TimeOnly(18, 0);
            r.TimeZoneId = "UTC";
        });
        var friday = new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

        Assert.Single(Match(Event(at: friday), rule));
        Assert.Empty(Match(Event(at: friday, server: "imap.other.org"), rule));
        Assert.Empty(Match(Event(at: friday, port: 143), rule));
        Assert.Empty(Match(Event(at: friday, user: "sales@example.com"), rule));
        Assert.Empty(Match(Event(at: friday, ssl: false), rule));
        Assert.Empty(Match(Event(at: friday.AddDays(1)), rule));
        Assert.Empty(Match(Event(at: friday.AddHours(7)), rule));
    }

    [Fact]
    public void AnUnknownZone_FallsBackToTheDefaultZone()
    {
        var rule = Rule(r => { r.TimeFrom = new TimeOnly(0, 0); r.TimeTo = new TimeOnly(1, 0); r.TimeZoneId = "Mars/Olympus_Mons"; });

        Assert.Single(Match(Event(at: new DateTimeOffset(2026, 11, 27, 23, 15, 0, TimeSpan.Zero)), Berlin, rule));
    }

    [Fact]
    public void TheIndex_AgreesWithThePlainReading_OnManyRandomRulesAndEvents()
    {
        var random = new Random(20261127);
        string[] servers = ["imap.example.com", "mail.example.org", "IMAP.EXAMPLE.COM", "outlook.office365.com", "mx1.corp.local"];
        string[] serverPatterns = ["", "imap.example.com", "*.example.com", "*.EXAMPLE.COM", "*.com", "*.corp.local", "mail.*", "*office*", "mx?.corp.local", "MX1.CORP.LOCAL"];
        string[] users = ["support@example.com", "sales@example.org", "helpdesk"];
        string[] userPatterns = ["", "support@*", "*@example.org", "*@EXAMPLE.COM", "*@*", "HELPDESK"];
        string?[] zones = [null, "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"];
        var types = Enum.GetValues<ImapEventType>();

        var rules = Enumerable.Range(0, 400).Select(i => Rule(r =>
        {
            r.Name = $"rule {i}";
            r.EventType = types[random.Next(types.Length)];
            r.Enabled = random.Next(10) > 0;
            r.ServerName = serverPatterns[random.Next(serverPatterns.Length)];
            r.LoginUsername = userPatterns[random.Next(userPatterns.Length)];
            r.ServerPort = random.Next(3) == 0 ? (random.Next(2) == 0 ? 993 : 143) : null;
            r.Ssl = (SslCondition)random.Next(3);
            r.DaysOfWeek = random.Next(2) == 0 ? DaysOfWeek.None : (DaysOfWeek)random.Next(1, 128);
            if (random.Next(2) == 0)
            {
                r.TimeFrom = new TimeOnly(random.Next(24), random.Next(4) * 15);
                r.TimeTo = new TimeOnly(random.Next(24), random.Next(4) * 15);
            }

            r.TimeZoneId = zones[random.Next(zones.Length)];
        })).ToArray();

        for (var i = 0; i < 2000; i++)
        {
            var imapEvent = Event(
                type: types[random.Next(types.Length)],
                server: servers[random.Next(servers.Length)],
                port: random.Next(2) == 0 ? 993 : 143,
                user: users[random.Next(users.Length)],
                ssl: random.Next(2) == 0,
                at: Now.AddMinutes(random.Next(-60 * 24 * 14, 60 * 24 * 14)));
            Match(imapEvent, Berlin, rules);
        }
    }
}
