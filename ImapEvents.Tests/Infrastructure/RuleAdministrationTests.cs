using ImapEvents.Core.Actions;
using ImapEvents.Infrastructure.Actions;
using System.Text.Json;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Tests.Infrastructure;

public sealed class RuleAdministrationTests(CheckFixture fixture) : IClassFixture<CheckFixture>
{
    private RuleAdministration Rules => fixture.Service<RuleAdministration>();

    private async Task<string> AdminIdAsync() => (await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail)).Id;

    private static EventRule Draft(string name, Action<EventRule>? configure = null)
    {
        var rule = new EventRule { Name = name, EventType = ImapEventType.LoginFailed };
        var log = RuleAction.Create(ActionKind.LogToFile);
        log.FileName = "rules-test.log";
        rule.Actions.Add(log);
        configure?.Invoke(rule);
        return rule;
    }

    [Fact]
    public async Task CallersDuringARebuild_WaitForIt_InsteadOfGettingOlderRules()
    {
        var admin = await AdminIdAsync();
        Assert.True((await Rules.CreateAsync(admin, Draft("Present from the start"), default)).Succeeded);
        await using var fresh = new ImapEventsApp(fixture.ConnectionString, ImapEventsApp.WithBootstrapAdmin(new Dictionary<string, string?> { ["Jobs:RunServer"] = "false" }));
        var freshRules = fresh.Services.GetService(typeof(RuleSet)) as RuleSet ?? throw new InvalidOperationException();

        // Many dispatches at once on an instance that has not built its rules yet (or just heard of a change).
        var sets = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => freshRules.GetAsync(default))));

        Assert.All(sets, set => Assert.True(set.Count > 0, "a caller got the empty rule set while the first build was running"));
    }

    [Fact]
    public async Task AChangeOnOneInstance_IsSeenByAnotherInstancesMatcher()
    {
        var settings = ImapEventsApp.WithBootstrapAdmin(new Dictionary<string, string?> { ["Jobs:RunServer"] = "false" });
        await using var other = new ImapEventsApp(fixture.ConnectionString, settings);
        var otherRules = other.Services.GetService(typeof(RuleSet)) as RuleSet ?? throw new InvalidOperationException();
        await WaitUntilAsync(() => otherRules.Listening, "the other instance never started listening");
        var before = (await otherRules.GetAsync(default)).Version;
        var notificationsBefore = otherRules.NotificationsReceived;
        var name = $"Cross-instance {Guid.NewGuid():N}";

        var created = await Rules.CreateAsync(await AdminIdAsync(), Draft(name, r => r.ServerName = "cross.example.com"), default);

        Assert.True(created.Succeeded);
        // The change reaches the other instance through NOTIFY, not through its 30-second version poll.
        await WaitUntilAsync(() => otherRules.NotificationsReceived > notificationsBefore, "no change notification reached the other instance");
        var imapEvent = new ImapEvent { Type = ImapEventType.LoginFailed, ServerName = "cross.example.com", OccurredAt = DateTimeOffset.UtcNow };
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var matches = new List<RuleMatch>();
        while (DateTime.UtcNow < deadline)
        {
            var compiled = await otherRules.GetAsync(default);
            compiled.Match(imapEvent, DateTimeOffset.UtcNow, matches);
            if (matches.Any(m => m.RuleId == created.Id))
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.Contains(matches, m => m.RuleId == created.Id && m.RuleName == name);
        Assert.True((await otherRules.GetAsync(default)).Version > before);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task TheDispatcher_RecordsTheRulesAnEventMatched_AndSnoozedOnesAsSnoozed()
    {
        var admin = await AdminIdAsync();
        var (user, _) = await fixture.Dovecot.CreateAccountAsync();
        var active = await Rules.CreateAsync(admin, Draft("Login failures of this user", r => r.LoginUsername = user), default);
        var snoozed = await Rules.CreateAsync(admin, Draft("Snoozed login failures", r => r.LoginUsername = user.ToUpperInvariant()), default);
        var otherType = await Rules.CreateAsync(admin, Draft("Other event type", r => { r.EventType = ImapEventType.ImportFailed; r.LoginUsername = user; }), default);
        var otherUser = await Rules.CreateAsync(admin, Draft("Another user", r => r.LoginUsername = "someone-else"), default);
        Assert.True((await Rules.SnoozeAsync(admin, snoozed.Id!.Value, DateTimeOffset.UtcNow.AddHours(2), default)).Succeeded);
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, "wrong-password"));

        var run = await fixture.CheckAsync(mailboxId);

        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var matches = await db.RuleMatches.AsNoTracking().Where(m => m.EventId == run.Event!.Id).ToListAsync();
        // Other tests of this class add catch-all rules too; these four are this test's.
        Assert.DoesNotContain(matches, m => m.RuleId == otherType.Id || m.RuleId == otherUser.Id);
        Assert.False(matches.Single(m => m.RuleId == active.Id).Snoozed);
        Assert.True(matches.Single(m => m.RuleId == snoozed.Id).Snoozed);
    }

    [Fact]
    public async Task AnEventWhoseRulesCouldNotBeEvaluated_IsDispatchedByTheSweep_Once()
    {
        var admin = await AdminIdAsync();
        var (user, _) = await fixture.Dovecot.CreateAccountAsync();
        var rule = await Rules.CreateAsync(admin, Draft("Swept", r => r.LoginUsername = user), default);
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, "wrong-password"));
        await ExecuteAsync($"""
            CREATE OR REPLACE FUNCTION refuse_matches() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'database hiccup (simulated)'; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_matches BEFORE INSERT ON event_rule_matches FOR EACH ROW
              WHEN (NEW."RuleId" = '{rule.Id}') EXECUTE FUNCTION refuse_matches();
            """);

        CheckRun run;
        try
        {
            run = await fixture.CheckAsync(mailboxId);
        }
        finally
        {
            await ExecuteAsync("DROP TRIGGER IF EXISTS refuse_matches ON event_rule_matches");
        }

        // The check itself completed and stored its one event, with its rules still to evaluate.
        Assert.Equal(ImapEventType.LoginFailed, run.Event!.Type);
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        Assert.Null((await db.Events.AsNoTracking().SingleAsync(e => e.Id == run.Event.Id)).DispatchedAt);
        await ExecuteAsync($"UPDATE imap_events SET \"OccurredAt\" = \"OccurredAt\" - interval '1 minute' WHERE \"Id\" = '{run.Event.Id}'");

        var sweep = fixture.Service<ImapEvents.Infrastructure.Events.PendingEventSweep>();
        Assert.True(await sweep.RunAsync(default) >= 1);
        await sweep.RunAsync(default);

        Assert.NotNull((await db.Events.AsNoTracking().SingleAsync(e => e.Id == run.Event.Id)).DispatchedAt);
        Assert.Single(await db.RuleMatches.AsNoTracking().Where(m => m.EventId == run.Event.Id && m.RuleId == rule.Id).ToListAsync());
        Assert.Single(await db.Events.AsNoTracking().Where(e => e.MailboxId == mailboxId).ToListAsync());
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task ExportThenImport_GivesTheSameRules()
    {
        var admin = await AdminIdAsync();
        var name = $"Round trip {Guid.NewGuid():N}";
        await Rules.CreateAsync(admin, Draft(name, r =>
        {
            r.EventType = ImapEventType.DownloadFailed;
            r.TimeFrom = new TimeOnly(22, 0);
            r.TimeTo = new TimeOnly(6, 30);
            r.TimeZoneId = "Europe/Berlin";
            r.DaysOfWeek = DaysOfWeek.Weekend | DaysOfWeek.Monday;
            r.ServerName = "*.example.com";
            r.ServerPort = 993;
            r.LoginUsername = "support@*";
            r.Ssl = SslCondition.True;
            var page = RuleAction.Create(ActionKind.CallWebPage);
            page.Url = "https://tasks.example.com/new?server={ServerName}";
            page.Method = WebPageMethod.PostForm;
            page.MaxFrequency = TimeSpan.FromMinutes(5);
            var hook = RuleAction.Create(ActionKind.CallWebhook);
            hook.Url = "https://hooks.example.com/imap";
            hook.SlackCompatible = true;
            hook.Message = "{EventType} on {ServerName}";
            hook.NewSecret = WebhookSecrets.Generate();
            r.Actions.AddRange([page, hook]);
        }), default);

        var exported = await Rules.ExportAsync(default);
        Assert.DoesNotContain("secret", exported, StringComparison.OrdinalIgnoreCase);
        var original = (await Rules.ListAsync(name, default)).Single();
        Assert.True(await Rules.DeleteAsync(admin, original.Id, default));
        var onlyThisRule = JsonSerializer.Deserialize<RuleExport>(exported, RuleDocument.Json)! is var export
            ? JsonSerializer.Serialize(export with { Rules = export.Rules.Where(r => r.Name == name).ToList() }, RuleDocument.Json)
            : "";
        var imported = await Rules.ImportAsync(admin, onlyThisRule, default);

        Assert.True(imported.Succeeded, string.Join("; ", imported.Errors));
        Assert.Equal(1, imported.Imported);
        var copy = (await Rules.ListAsync(name, default)).Single();
        Assert.NotEqual(original.Id, copy.Id);
        Assert.Equal(
            JsonSerializer.Serialize(RuleDocument.From(original), RuleDocument.Json),
            JsonSerializer.Serialize(RuleDocument.From(copy), RuleDocument.Json));
        Assert.Equal([ActionKind.LogToFile, ActionKind.CallWebPage, ActionKind.CallWebhook], copy.Actions.Select(a => a.Kind));
        // Secrets are not exported: the imported webhook has a new one, and the import says what to do.
        Assert.NotNull(copy.Actions[2].ProtectedSecret);
        Assert.NotEqual(original.Actions[2].ProtectedSecret, copy.Actions[2].ProtectedSecret);
        Assert.Contains("Generate", Assert.Single(imported.Notices!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnImportWithOneBadRule_ImportsNothing_AndNamesTheRuleAndTheField()
    {
        var admin = await AdminIdAsync();
        var before = (await Rules.ListAsync(null, default)).Count;
        const string json = """
            {
              "format": "imapevents-rules",
              "version": 1,
              "rules": [
                { "name": "Fine", "eventType": "LoginFailed" },
                { "name": "Bad port", "eventType": "IMAP Connection Failed", "serverPort": 70000 },
                { "name": "Bad time", "eventType": "Nope", "timeFrom": "25:00", "timeTo": "06:00" }
              ]
            }
            """;

        var result = await Rules.ImportAsync(admin, json, default);

        Assert.False(result.Succeeded);
        Assert.Equal(0, result.Imported);
        Assert.Contains(result.Errors, e => e.StartsWith("Rule 2 (“Bad port”): Server Port:", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("Rule 3 (“Bad time”): Event Type:", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("Rule 3 (“Bad time”): Time of Day:", StringComparison.Ordinal));
        Assert.Equal(before, (await Rules.ListAsync(null, default)).Count);
        Assert.False((await Rules.ImportAsync(admin, "{ not json", default)).Succeeded);
    }

    [Fact]
    public async Task AnImportWithNullsOrRunTogetherDays_IsRefusedWithReasons_NotACrash()
    {
        var admin = await AdminIdAsync();
        const string json = """
            {
              "format": "imapevents-rules",
              "rules": [
                null,
                { "name": null, "eventType": "LoginFailed", "ssl": null, "daysOfWeek": null },
                { "name": "Run together", "eventType": "LoginFailed", "daysOfWeek": ["Monday,Tuesday"] }
              ]
            }
            """;

        var result = await Rules.ImportAsync(admin, json, default);
        var noRules = await Rules.ImportAsync(admin, """{ "format": "imapevents-rules", "rules": null }""", default);

        Assert.Equal(0, result.Imported);
        Assert.Contains(result.Errors, e => e.StartsWith("Rule 1: is empty", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("Rule 2: Name:", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("Rule 3 (“Run together”): Day of Week:", StringComparison.Ordinal));
        Assert.False(noRules.Succeeded);
    }

    [Fact]
    public async Task EveryChange_IsInTheAuditTrail_WithWhoAndBeforeAndAfter()
    {
        var admin = await AdminIdAsync();
        var created = await Rules.CreateAsync(admin, Draft("Audited"), default);
        var id = created.Id!.Value;
        var rule = (await Rules.GetAsync(id, default))!;
        await Rules.UpdateAsync(admin, id, Draft("Audited, renamed", r => r.ServerPort = 143), rule.Version, default);
        await Rules.SnoozeAsync(admin, id, DateTimeOffset.UtcNow.AddDays(1), default);
        await Rules.SetEnabledAsync(admin, id, false, default);
        await Rules.DeleteAsync(admin, id, default);

        var trail = await Rules.AuditTrailAsync(id, default);

        Assert.Equal([RuleChange.Deleted, RuleChange.Disabled, RuleChange.Snoozed, RuleChange.Updated, RuleChange.Created], trail.Select(a => a.Change));
        Assert.All(trail, a => Assert.Equal(ImapEventsApp.AdminEmail, a.UserEmail));
        var update = trail.Single(a => a.Change == RuleChange.Updated);
        Assert.Contains("\"name\": \"Audited\"", update.Before, StringComparison.Ordinal);
        Assert.Contains("\"serverPort\": 143", update.After, StringComparison.Ordinal);
        Assert.Null(trail.Single(a => a.Change == RuleChange.Created).Before);
        Assert.Null(trail.Single(a => a.Change == RuleChange.Deleted).After);
    }

    [Fact]
    public async Task AnEditFromAStaleEditor_IsRefused()
    {
        var admin = await AdminIdAsync();
        var id = (await Rules.CreateAsync(admin, Draft("Stale rule"), default)).Id!.Value;
        var version = (await Rules.GetAsync(id, default))!.Version;

        Assert.True((await Rules.UpdateAsync(admin, id, Draft("First"), version, default)).Succeeded);
        var stale = await Rules.UpdateAsync(admin, id, Draft("Second"), version, default);

        Assert.Equal(RuleAdministration.ConcurrencyConflict, Assert.Single(stale.Errors).Value);
    }

    [Fact]
    public async Task WouldHaveFired_CountsTheStoredEventsOfTheLastWeekTheDraftMatches()
    {
        var (user, _) = await fixture.Dovecot.CreateAccountAsync();
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, "wrong-password"));
        await fixture.CheckAsync(mailboxId);
        await fixture.CheckAsync(mailboxId);

        var forThisUser = await Rules.WouldHaveFiredAsync(Draft("draft", r => r.LoginUsername = user), default);
        var otherType = await Rules.WouldHaveFiredAsync(Draft("draft", r => { r.LoginUsername = user; r.EventType = ImapEventType.ImportFailed; }), default);
        var otherPort = await Rules.WouldHaveFiredAsync(Draft("draft", r => { r.LoginUsername = user; r.ServerPort = 1; }), default);

        Assert.Equal(2, forThisUser);
        Assert.Equal(0, otherType);
        Assert.Equal(0, otherPort);
    }

    [Fact]
    public async Task ADuplicate_IsADisabledCopy()
    {
        var admin = await AdminIdAsync();
        var id = (await Rules.CreateAsync(admin, Draft("Original", r => r.ServerName = "dup.example.com"), default)).Id!.Value;

        var copy = await Rules.DuplicateAsync(admin, id, default);

        var duplicated = (await Rules.GetAsync(copy.Id!.Value, default))!;
        Assert.Equal("Original (copy)", duplicated.Name);
        Assert.False(duplicated.Enabled);
        Assert.Equal("dup.example.com", duplicated.ServerName);
    }
}
