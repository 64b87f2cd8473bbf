using ImapEvents.Core.Actions;
using ImapEvents.Infrastructure.Actions;
using System.Text.Json;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
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
        var imported = await Rules.ImportAsync(admin, onlyThisRule, ExistingRules.KeepExisting, default);

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

    /// <summary>The export file of the given rules only: other tests of this class add rules of their own.</summary>
    private async Task<string> ExportOfAsync(params string[] names)
    {
        var export = JsonSerializer.Deserialize<RuleExport>(await Rules.ExportAsync(default), RuleDocument.Json)!;
        return JsonSerializer.Serialize(export with { Rules = export.Rules.Where(r => names.Contains(r.Name)).ToList() }, RuleDocument.Json);
    }

    private static RuleAction Hook(string url, string secret)
    {
        var hook = RuleAction.Create(ActionKind.CallWebhook);
        hook.Url = url;
        hook.NewSecret = secret;
        return hook;
    }

    private async Task<int> AuditCountAsync(Guid ruleId) => (await Rules.AuditTrailAsync(ruleId, default)).Count;

    [Fact]
    public async Task ExportThenImport_ByDefault_SkipsTheRulesThatExist_SoNothingIsDoubled()
    {
        var admin = await AdminIdAsync();
        var suffix = Guid.NewGuid().ToString("N");
        var names = new[] { $"Pager {suffix}", $"Ticket {suffix}" };
        foreach (var name in names)
        {
            Assert.True((await Rules.CreateAsync(admin, Draft(name, r => r.Actions.Add(Hook("https://hooks.example.com/" + name.Split(' ')[0], WebhookSecrets.Generate()))), default)).Succeeded);
        }

        var before = (await Rules.ListAsync(suffix, default)).ToDictionary(r => r.Id);
        var file = await ExportOfAsync(names);

        var result = await Rules.ImportAsync(admin, file, ExistingRules.KeepExisting, default);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Empty(result.Added);
        Assert.Empty(result.Replaced);
        Assert.Equal(names, result.Skipped.Order());
        Assert.Empty(result.Notices);
        var after = await Rules.ListAsync(suffix, default);
        Assert.Equal(before.Keys.Order(), after.Select(r => r.Id).Order());
        Assert.All(after, rule =>
        {
            Assert.Equal(before[rule.Id].Version, rule.Version);
            Assert.Equal(before[rule.Id].Actions.Single(a => a.Kind == ActionKind.CallWebhook).ProtectedSecret, rule.Actions.Single(a => a.Kind == ActionKind.CallWebhook).ProtectedSecret);
        });
        foreach (var rule in after)
        {
            Assert.Equal(1, await AuditCountAsync(rule.Id));
        }

        Assert.Equal("0 added, 0 replaced, 2 skipped (a rule with the same name exists).", result.Summary);
    }

    [Fact]
    public async Task ImportWithReplace_UpdatesTheRuleInPlace_KeepingWebhookSecretsWhoseUrlIsUnchanged()
    {
        var admin = await AdminIdAsync();
        var name = $"Replaced {Guid.NewGuid():N}";
        var keptSecret = WebhookSecrets.Generate();
        var movedSecret = WebhookSecrets.Generate();
        var id = (await Rules.CreateAsync(admin, Draft(name, r =>
        {
            r.ServerName = "old.example.com";
            r.Actions.Add(Hook("https://hooks.example.com/stays", keptSecret));
            r.Actions.Add(Hook("https://hooks.example.com/moves", movedSecret));
        }), default)).Id!.Value;
        var original = (await Rules.GetAsync(id, default))!;
        var export = JsonSerializer.Deserialize<RuleExport>(await ExportOfAsync(name), RuleDocument.Json)!;
        var document = Assert.Single(export.Rules);
        // The same rule as edited on another installation: another server, one webhook at a new address. Name case differs.
        var edited = document with
        {
            Name = name.ToUpperInvariant(),
            ServerName = "new.example.com",
            Actions = [.. document.Actions.Select(a => a.Url == "https://hooks.example.com/moves" ? a with { Url = "https://hooks.example.com/moved" } : a)],
        };
        var file = JsonSerializer.Serialize(export with { Rules = [edited] }, RuleDocument.Json);

        var result = await Rules.ImportAsync(admin, file, ExistingRules.ReplaceExisting, default);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Equal([name.ToUpperInvariant()], result.Replaced);
        Assert.Empty(result.Added);
        Assert.Empty(result.Skipped);
        var replaced = Assert.Single(await Rules.ListAsync(name, default));
        Assert.Equal(id, replaced.Id);
        Assert.NotEqual(original.Version, replaced.Version);
        Assert.Equal("new.example.com", replaced.ServerName);
        Assert.Equal(original.OwnerId, replaced.OwnerId);
        var secrets = fixture.Service<WebhookSecrets>();
        var stays = replaced.Actions.Single(a => a.Url == "https://hooks.example.com/stays");
        var moved = replaced.Actions.Single(a => a.Url == "https://hooks.example.com/moved");
        // The receiver that already has the secret keeps verifying; the new address needs a new one.
        Assert.Equal(keptSecret, secrets.TryUnprotect(stays.ProtectedSecret!));
        Assert.Equal(original.Actions.Single(a => a.Url == "https://hooks.example.com/stays").Id, stays.Id);
        Assert.NotNull(moved.ProtectedSecret);
        Assert.NotEqual(movedSecret, secrets.TryUnprotect(moved.ProtectedSecret!));
        Assert.Equal(original.Actions.Single(a => a.Kind == ActionKind.LogToFile).Id, replaced.Actions.Single(a => a.Kind == ActionKind.LogToFile).Id);
        var notice = Assert.Single(result.Notices, n => n.Contains("Generate secret", StringComparison.Ordinal));
        Assert.Contains($"“{name.ToUpperInvariant()}” (action 3)", notice, StringComparison.Ordinal);
        Assert.Contains(result.Notices, n => n.Contains("kept its signing secret", StringComparison.Ordinal));
        var change = (await Rules.AuditTrailAsync(id, default))[0];
        Assert.Equal(RuleChange.ReplacedByImport, change.Change);
        Assert.Equal(ImapEventsApp.AdminEmail, change.UserEmail);
        Assert.Contains("old.example.com", change.Before, StringComparison.Ordinal);
        Assert.Contains("new.example.com", change.After, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImportWithReplace_AddsTheRulesThatDoNotExistYet()
    {
        var admin = await AdminIdAsync();
        var name = $"Brand new {Guid.NewGuid():N}";
        var file = $$"""{ "format": "imapevents-rules", "rules": [ { "name": "{{name}}", "eventType": "LoginFailed", "actions": [ { "kind": "CallWebhook", "url": "https://hooks.example.com/new" } ] } ] }""";

        var result = await Rules.ImportAsync(admin, file, ExistingRules.ReplaceExisting, default);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Equal([name], result.Added);
        var added = Assert.Single(await Rules.ListAsync(name, default));
        Assert.Equal(admin, added.OwnerId);
        Assert.Contains($"“{name}” (action 1)", Assert.Single(result.Notices), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFileThatNamesARuleTwice_IsRefused_NamingTheRule()
    {
        var admin = await AdminIdAsync();
        const string json = """
            {
              "format": "imapevents-rules",
              "rules": [
                { "name": "Twice over", "eventType": "LoginFailed", "actions": [ { "kind": "LogToFile", "fileName": "import.log" } ] },
                { "name": "Once", "eventType": "LoginFailed", "actions": [ { "kind": "LogToFile", "fileName": "import.log" } ] },
                { "name": "twice OVER ", "eventType": "ImportFailed", "actions": [ { "kind": "LogToFile", "fileName": "import.log" } ] }
              ]
            }
            """;

        foreach (var existing in Enum.GetValues<ExistingRules>())
        {
            var result = await Rules.ImportAsync(admin, json, existing, default);

            Assert.False(result.Succeeded);
            Assert.Equal(0, result.Imported);
            Assert.Equal(
                "Rule 3 (“twice OVER ”): Name: the file names this rule twice (rule 1 is “Twice over”; names are compared without regard to case). Keep one of them or rename the other.",
                Assert.Single(result.Errors));
            Assert.Empty(await Rules.ListAsync("Once", default));
        }
    }

    [Fact]
    public async Task ImportWithReplace_IsRefused_WhenTwoRulesHereShareTheName()
    {
        var admin = await AdminIdAsync();
        var name = $"Ambiguous {Guid.NewGuid():N}";
        var first = (await Rules.CreateAsync(admin, Draft(name), default)).Id!.Value;
        var second = (await Rules.CreateAsync(admin, Draft(name.ToUpperInvariant()), default)).Id!.Value;
        var file = $$"""{ "format": "imapevents-rules", "rules": [ { "name": "{{name}}", "eventType": "ConnectionFailed", "actions": [ { "kind": "LogToFile", "fileName": "import.log" } ] } ] }""";

        var replace = await Rules.ImportAsync(admin, file, ExistingRules.ReplaceExisting, default);
        var skip = await Rules.ImportAsync(admin, file, ExistingRules.KeepExisting, default);

        Assert.Equal(
            $"Rule 1 (“{name}”): Name: 2 rules here have this name, so Replace cannot tell which one to change. Rename one of them here, then import again.",
            Assert.Single(replace.Errors));
        Assert.All(await Rules.ListAsync(name, default), r => Assert.Equal(ImapEventType.LoginFailed, r.EventType));
        Assert.True(skip.Succeeded);
        Assert.Equal([name], skip.Skipped);
        Assert.Equal(1, await AuditCountAsync(first));
        Assert.Equal(1, await AuditCountAsync(second));
    }

    [Theory]
    [InlineData("""[ { "name": "A list of rules", "eventType": "LoginFailed" } ]""", "expected an object with a \"rules\" list, found a list")]
    [InlineData("""[]""", "expected an object with a \"rules\" list, found a list")]
    [InlineData("""42""", "expected an object with a \"rules\" list, found the number 42")]
    [InlineData("""null""", "expected an object with a \"rules\" list, found null")]
    [InlineData("""{ "name": "One rule", "eventType": "LoginFailed" }""", "it has no \"rules\" list")]
    [InlineData("""{ "rules": { "name": "One rule" } }""", "its \"rules\" should be a list, found an object")]
    public async Task AFileThatIsNotAnExport_IsRefusedInWords(string json, string problem)
    {
        var result = await Rules.ImportAsync(await AdminIdAsync(), json, ExistingRules.KeepExisting, default);

        Assert.Equal($"The file is not a rules export: {problem}.", Assert.Single(result.Errors));
    }

    [Fact]
    public async Task ValuesOfTheWrongKind_AreRefusedInWords_NamingTheRuleAndTheField()
    {
        const string json = """
            {
              "format": "imapevents-rules",
              "rules": [
                { "name": "Port as text", "eventType": "LoginFailed", "serverPort": "993", "enabled": "yes" },
                7,
                { "name": "Bad action", "eventType": "LoginFailed", "daysOfWeek": "Monday", "actions": [ { "kind": "LogToFile", "maxFrequencyMinutes": 1e20 }, "CallWebhook" ] }
              ]
            }
            """;

        var result = await Rules.ImportAsync(await AdminIdAsync(), json, ExistingRules.KeepExisting, default);

        Assert.Equal(
            [
                "Rule 1 (“Port as text”): serverPort: should be a whole number, found text (\"993\").",
                "Rule 1 (“Port as text”): enabled: should be true or false, found text (\"yes\").",
                "Rule 2: should be an object with a name and an event type, found the number 7.",
                "Rule 3 (“Bad action”): daysOfWeek: should be a list, found text (\"Monday\").",
                "Rule 3 (“Bad action”): Action 1: maxFrequencyMinutes: should be a whole number, found the number 1e20.",
                "Rule 3 (“Bad action”): Action 2: should be an object with a kind, found text (\"CallWebhook\").",
            ],
            result.Errors);
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

        var result = await Rules.ImportAsync(admin, json, ExistingRules.KeepExisting, default);

        Assert.False(result.Succeeded);
        Assert.Equal(0, result.Imported);
        Assert.Contains(result.Errors, e => e.StartsWith("Rule 2 (“Bad port”): Server Port:", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("Rule 3 (“Bad time”): Event Type:", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("Rule 3 (“Bad time”): Time of Day:", StringComparison.Ordinal));
        Assert.Equal(before, (await Rules.ListAsync(null, default)).Count);
        var notJson = await Rules.ImportAsync(admin, "{ not json", ExistingRules.KeepExisting, default);
        Assert.Equal(
            "The file is not valid JSON: it stops making sense at line 1, position 3. Choose the file \"Export rules\" wrote.",
            Assert.Single(notJson.Errors));
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

        var result = await Rules.ImportAsync(admin, json, ExistingRules.KeepExisting, default);
        var noRules = await Rules.ImportAsync(admin, """{ "format": "imapevents-rules", "rules": null }""", ExistingRules.KeepExisting, default);

        Assert.Equal(0, result.Imported);
        Assert.Contains(result.Errors, e => e.StartsWith("Rule 1: is empty", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("Rule 2: Name:", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("Rule 3 (“Run together”): Day of Week:", StringComparison.Ordinal));
        Assert.False(noRules.Succeeded);
    }

    [Fact]
    public async Task ASnoozeChosenInTheReadersZone_IsKeptAsTheSameMoment()
    {
        var admin = await AdminIdAsync();
        var id = (await Rules.CreateAsync(admin, Draft("Snoozed from Auckland"), default)).Id!.Value;
        // 09:00 tomorrow in Auckland (UTC+13 in its summer), as the snooze dialog of a reader there makes it.
        var until = new DateTimeOffset(DateTime.SpecifyKind(DateTime.UtcNow.Date.AddDays(2).AddHours(9), DateTimeKind.Unspecified), TimeSpan.FromHours(13));

        Assert.True((await Rules.SnoozeAsync(admin, id, until, default)).Succeeded);

        Assert.Equal(until, (await Rules.GetAsync(id, default))!.SnoozedUntil);
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

        Assert.Equal(new WouldHaveFired(2, 2, 0, 0), forThisUser);
        Assert.Equal(WouldHaveFired.None, otherType);
        Assert.Equal(WouldHaveFired.None, otherPort);
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
