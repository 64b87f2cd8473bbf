using System.Text.Json;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>The incident options of a rule go wherever the rule goes: save, edit, duplicate, export, import, history, "would have fired".</summary>
public sealed class RuleOptionsAdministrationTests(CheckFixture fixture) : IClassFixture<CheckFixture>
{
    private RuleAdministration Rules => fixture.Service<RuleAdministration>();

    private async Task<string> AdminIdAsync() => (await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail)).Id;

    private static RuleAction Log(string fileName)
    {
        var log = RuleAction.Create(ActionKind.LogToFile);
        log.FileName = fileName;
        return log;
    }

    private static RuleAction Hook(string url)
    {
        var hook = RuleAction.Create(ActionKind.CallWebhook);
        hook.Url = url;
        hook.NewSecret = WebhookSecrets.Generate();
        return hook;
    }

    /// <summary>A rule using every option, with an escalation webhook (a secret) and an escalation email.</summary>
    private static EventRule WithOptions(string name, Action<EventRule>? configure = null)
    {
        var rule = new EventRule
        {
            Name = name,
            EventType = ImapEventType.LoginFailed,
            FireAfterFailures = 3,
            Notify = NotifyMode.OncePerIncident,
            NotifyOnRecovery = true,
            GroupByServer = true,
            EscalateAfterMinutes = 30,
        };
        rule.Actions.Add(Log("options.log"));
        var email = RuleAction.Create(ActionKind.SendEmail);
        email.Recipients = "oncall@example.com";
        rule.EscalationActions.AddRange([Hook("https://hooks.example.com/escalate"), email]);
        configure?.Invoke(rule);
        return rule;
    }

    private static void AssertOptions(EventRule rule, int fireAfter = 3, NotifyMode notify = NotifyMode.OncePerIncident, bool onRecovery = true, bool grouped = true, int? escalateAfter = 30)
    {
        Assert.Equal(fireAfter, rule.FireAfterFailures);
        Assert.Equal(notify, rule.Notify);
        Assert.Equal(onRecovery, rule.NotifyOnRecovery);
        Assert.Equal(grouped, rule.GroupByServer);
        Assert.Equal(escalateAfter, rule.EscalateAfterMinutes);
    }

    /// <summary>The export file of the given rules only: other tests of this class add rules of their own.</summary>
    private async Task<string> ExportOfAsync(params string[] names)
    {
        var export = JsonSerializer.Deserialize<RuleExport>(await Rules.ExportAsync(default), RuleDocument.Json)!;
        return JsonSerializer.Serialize(export with { Rules = export.Rules.Where(r => names.Contains(r.Name)).ToList() }, RuleDocument.Json);
    }

    [Fact]
    public async Task SavedOptions_AreStored_AndAnEditChangesThem_KeepingTheEscalationWebhooksSecret()
    {
        var admin = await AdminIdAsync();
        var name = $"Options {Guid.NewGuid():N}";

        var created = await Rules.CreateAsync(admin, WithOptions(name), default);

        Assert.True(created.Succeeded, string.Join("; ", created.Errors));
        var stored = (await Rules.GetAsync(created.Id!.Value, default))!;
        AssertOptions(stored);
        Assert.Equal([ActionKind.CallWebhook, ActionKind.SendEmail], stored.EscalationActions.Select(a => a.Kind));
        var secret = stored.EscalationActions[0].ProtectedSecret;
        Assert.NotNull(secret);
        Assert.Null(stored.EscalationActions[0].NewSecret);

        // What the editor sends back: the stored rule with its options changed. A secret is only ever taken from the
        // stored action, never from what the editor sent.
        stored.FireAfterFailures = 5;
        stored.Notify = NotifyMode.EveryEvent;
        stored.GroupByServer = false;
        stored.EscalateAfterMinutes = 60;
        stored.EscalationActions[0].ProtectedSecret = "sent back by the editor";
        var updated = await Rules.UpdateAsync(admin, stored.Id, stored, stored.Version, default);

        Assert.True(updated.Succeeded, string.Join("; ", updated.Errors));
        var edited = (await Rules.GetAsync(stored.Id, default))!;
        AssertOptions(edited, fireAfter: 5, notify: NotifyMode.EveryEvent, grouped: false, escalateAfter: 60);
        Assert.Equal(secret, edited.EscalationActions[0].ProtectedSecret);
    }

    [Fact]
    public async Task ASaveWithAnEscalationButNoEscalationAction_IsRefusedNamingTheField()
    {
        var result = await Rules.CreateAsync(await AdminIdAsync(), WithOptions($"No escalation action {Guid.NewGuid():N}", r => r.EscalationActions.Clear()), default);

        Assert.False(result.Succeeded);
        Assert.StartsWith("Add at least one escalation action", result.Errors[RuleValidation.EscalationActions], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADuplicate_CarriesTheOptions_WithNewEscalationActionIds()
    {
        var admin = await AdminIdAsync();
        var id = (await Rules.CreateAsync(admin, WithOptions($"To duplicate {Guid.NewGuid():N}"), default)).Id!.Value;
        var original = (await Rules.GetAsync(id, default))!;

        var copy = (await Rules.GetAsync((await Rules.DuplicateAsync(admin, id, default)).Id!.Value, default))!;

        AssertOptions(copy);
        Assert.Equal(original.EscalationActions.Select(a => a.Kind), copy.EscalationActions.Select(a => a.Kind));
        // Max-frequency windows of their own; the escalation webhook's secret carries over like a main action's.
        Assert.Empty(copy.EscalationActions.Select(a => a.Id).Intersect(original.EscalationActions.Select(a => a.Id)));
        Assert.Equal(original.EscalationActions[0].ProtectedSecret, copy.EscalationActions[0].ProtectedSecret);
    }

    [Fact]
    public async Task ExportThenImport_GivesTheSameOptions_AndANewSecretForTheEscalationWebhook()
    {
        var admin = await AdminIdAsync();
        var name = $"Round trip {Guid.NewGuid():N}";
        var id = (await Rules.CreateAsync(admin, WithOptions(name), default)).Id!.Value;
        var original = (await Rules.GetAsync(id, default))!;

        var file = await ExportOfAsync(name);
        Assert.DoesNotContain("secret", file, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"notify\": \"OncePerIncident\"", file, StringComparison.Ordinal);
        Assert.True(await Rules.DeleteAsync(admin, id, default));
        var imported = await Rules.ImportAsync(admin, file, ExistingRules.KeepExisting, default);

        Assert.True(imported.Succeeded, string.Join("; ", imported.Errors));
        var copy = Assert.Single(await Rules.ListAsync(name, default));
        Assert.Equal(
            JsonSerializer.Serialize(RuleDocument.From(original), RuleDocument.Json),
            JsonSerializer.Serialize(RuleDocument.From(copy), RuleDocument.Json));
        AssertOptions(copy);
        Assert.NotNull(copy.EscalationActions[0].ProtectedSecret);
        Assert.NotEqual(original.EscalationActions[0].ProtectedSecret, copy.EscalationActions[0].ProtectedSecret);
        Assert.Contains($"“{name}” (escalation action 1)", Assert.Single(imported.Notices), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImportWithReplace_KeepsTheEscalationWebhooksSecret_WhileItsUrlIsUnchanged()
    {
        var admin = await AdminIdAsync();
        var name = $"Replaced {Guid.NewGuid():N}";
        var id = (await Rules.CreateAsync(admin, WithOptions(name), default)).Id!.Value;
        var original = (await Rules.GetAsync(id, default))!;
        var export = JsonSerializer.Deserialize<RuleExport>(await ExportOfAsync(name), RuleDocument.Json)!;
        var edited = export.Rules.Single() with { FireAfterFailures = 2, GroupByServer = false };

        var result = await Rules.ImportAsync(admin, JsonSerializer.Serialize(export with { Rules = [edited] }, RuleDocument.Json), ExistingRules.ReplaceExisting, default);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        var replaced = (await Rules.GetAsync(id, default))!;
        AssertOptions(replaced, fireAfter: 2, grouped: false);
        Assert.Equal(original.EscalationActions[0].ProtectedSecret, replaced.EscalationActions[0].ProtectedSecret);
        Assert.Equal(original.EscalationActions.Select(a => a.Id), replaced.EscalationActions.Select(a => a.Id));
        Assert.Contains(result.Notices, n => n.Contains("kept its signing secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnExportWrittenBeforeTheOptions_ImportsWithTheDefaults()
    {
        var name = $"Old export {Guid.NewGuid():N}";
        var file = $$"""{ "format": "imapevents-rules", "version": 1, "rules": [ { "name": "{{name}}", "eventType": "LoginFailed", "ssl": "any", "actions": [ { "kind": "LogToFile", "fileName": "old.log" } ] } ] }""";

        var result = await Rules.ImportAsync(await AdminIdAsync(), file, ExistingRules.KeepExisting, default);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        var rule = Assert.Single(await Rules.ListAsync(name, default));
        AssertOptions(rule, fireAfter: 1, notify: NotifyMode.EveryEvent, onRecovery: false, grouped: false, escalateAfter: null);
        Assert.Empty(rule.EscalationActions);
    }

    [Fact]
    public async Task AnImportOfOptionsThatCannotBe_IsRefusedNamingTheRuleAndTheField()
    {
        const string json = """
            {
              "format": "imapevents-rules",
              "rules": [
                { "name": "Recovery once", "eventType": "Recovered", "notify": "Once per incident", "fireAfterFailures": 3, "actions": [ { "kind": "LogToFile", "fileName": "r.log" } ] },
                { "name": "Bad escalation", "eventType": "LoginFailed", "notify": "sometimes", "escalateAfterMinutes": 30,
                  "actions": [ { "kind": "LogToFile", "fileName": "e.log" } ], "escalationActions": [ { "kind": "CallWebPage" } ] },
                { "name": "Wrong kinds", "eventType": "LoginFailed", "fireAfterFailures": "3", "escalationActions": [ 7 ] }
              ]
            }
            """;

        var result = await Rules.ImportAsync(await AdminIdAsync(), json, ExistingRules.KeepExisting, default);

        Assert.Equal(0, result.Imported);
        Assert.Contains("Rule 1 (“Recovery once”): Notify: Does not apply to IMAP Recovered rules: use On every matching event.", result.Errors);
        Assert.Contains("Rule 2 (“Bad escalation”): Notify: \"sometimes\" is not a choice of Notify; use EveryEvent or OncePerIncident.", result.Errors);
        Assert.Contains(result.Errors, e => e.StartsWith("Rule 2 (“Bad escalation”): Escalation action 1: URL: Enter the address to call", StringComparison.Ordinal));
        Assert.Contains("Rule 3 (“Wrong kinds”): fireAfterFailures: should be a whole number, found text (\"3\").", result.Errors);
        Assert.Contains("Rule 3 (“Wrong kinds”): Escalation action 1: should be an object with a kind, found the number 7.", result.Errors);
        Assert.DoesNotContain(result.Errors, e => e.StartsWith("Rule 1", StringComparison.Ordinal) && e.Contains("Fire after", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheHistory_KeepsTheOptionsBeforeAndAfter()
    {
        var admin = await AdminIdAsync();
        var id = (await Rules.CreateAsync(admin, WithOptions($"Audited options {Guid.NewGuid():N}"), default)).Id!.Value;
        var rule = (await Rules.GetAsync(id, default))!;
        rule.Notify = NotifyMode.EveryEvent;
        rule.EscalateAfterMinutes = null;
        rule.EscalationActions.Clear();

        Assert.True((await Rules.UpdateAsync(admin, id, rule, rule.Version, default)).Succeeded);

        var update = (await Rules.AuditTrailAsync(id, default))[0];
        Assert.Equal(RuleChange.Updated, update.Change);
        Assert.Contains("\"notify\": \"OncePerIncident\"", update.Before, StringComparison.Ordinal);
        Assert.Contains("\"escalateAfterMinutes\": 30", update.Before, StringComparison.Ordinal);
        Assert.Contains("https://hooks.example.com/escalate", update.Before, StringComparison.Ordinal);
        Assert.Contains("\"notify\": \"EveryEvent\"", update.After, StringComparison.Ordinal);
        Assert.Contains("\"fireAfterFailures\": 3", update.After, StringComparison.Ordinal);
        Assert.DoesNotContain("escalateAfterMinutes", update.After, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEscalationActionAReceiverSaidIsGone_IsDisabledInItsList()
    {
        var admin = await AdminIdAsync();
        var id = (await Rules.CreateAsync(admin, WithOptions($"Gone escalation {Guid.NewGuid():N}"), default)).Id!.Value;
        var fired = (await Rules.GetAsync(id, default))!.EscalationActions[0];

        Assert.True(await Rules.DisableActionAsync(id, fired, DeliveryJob.GoneReason, default));

        var rule = (await Rules.GetAsync(id, default))!;
        Assert.NotNull(rule.EscalationActions[0].DisabledAt);
        Assert.All(rule.Actions, a => Assert.Null(a.DisabledAt));
        Assert.Equal(RuleChange.ActionDisabled, (await Rules.AuditTrailAsync(id, default))[0].Change);
    }

    [Fact]
    public async Task WouldHaveFired_AppliesFireAfterNAndOncePerIncident_ToARealMailboxsIncident()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, "wrong-password"));
        for (var i = 0; i < 4; i++)
        {
            await fixture.CheckAsync(mailboxId);
        }

        var mailboxes = fixture.Service<MailboxAdministration>();
        var edit = (await mailboxes.GetForEditAsync(mailboxId, default))!;
        Assert.True((await mailboxes.UpdateAsync(mailboxId, edit.Settings with { Password = password }, edit.Version, default)).Succeeded);
        Assert.Equal(ImapEventType.Recovered, Assert.Single((await fixture.CheckAsync(mailboxId)).Raised!).Type);

        Task<WouldHaveFired> DraftAsync(Action<EventRule> configure)
        {
            var draft = new EventRule { Name = "draft", EventType = ImapEventType.LoginFailed, LoginUsername = user };
            configure(draft);
            return Rules.WouldHaveFiredAsync(draft, default);
        }

        Assert.Equal(new WouldHaveFired(4, 4, 0, 0), await DraftAsync(_ => { }));
        Assert.Equal(new WouldHaveFired(4, 2, 0, 0), await DraftAsync(r => r.FireAfterFailures = 3));
        Assert.Equal(new WouldHaveFired(4, 1, 0, 0), await DraftAsync(r => { r.FireAfterFailures = 3; r.Notify = NotifyMode.OncePerIncident; }));
        Assert.Equal(new WouldHaveFired(4, 1, 1, 0), await DraftAsync(r => { r.FireAfterFailures = 3; r.Notify = NotifyMode.OncePerIncident; r.NotifyOnRecovery = true; }));
        // Never notified, so its recovery is not notified either.
        Assert.Equal(new WouldHaveFired(4, 0, 0, 0), await DraftAsync(r => { r.FireAfterFailures = 5; r.NotifyOnRecovery = true; }));
        // The incident closed within seconds: no escalation after 30 minutes.
        Assert.Equal(new WouldHaveFired(4, 1, 0, 0), await DraftAsync(r => { r.Notify = NotifyMode.OncePerIncident; r.EscalateAfterMinutes = 30; }));
        Assert.Equal(new WouldHaveFired(1, 1, 0, 0), await DraftAsync(r => { r.EventType = ImapEventType.Recovered; r.FireAfterFailures = 4; }));
        Assert.Equal(new WouldHaveFired(1, 0, 0, 0), await DraftAsync(r => { r.EventType = ImapEventType.Recovered; r.FireAfterFailures = 5; }));
    }

    [Fact]
    public async Task WouldHaveFired_CountsAGroupOnce_AndEscalatesIncidentsStillOpen()
    {
        var server = $"group-{Guid.NewGuid():N}.example.com";
        var start = DateTimeOffset.UtcNow.AddHours(-3);
        var open = NewIncident(server, "first@example.com", start, closedAt: null);
        var closedQuickly = NewIncident(server, "second@example.com", start.AddSeconds(20), closedAt: start.AddMinutes(5));
        await using (var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            db.Incidents.AddRange(open, closedQuickly);
            // Two mailboxes of one server fail within the grouping window (60 s by default).
            db.Events.AddRange(Failure(open, start, 1), Failure(closedQuickly, start.AddSeconds(20), 1), Failure(open, start.AddMinutes(1), 2));
            await db.SaveChangesAsync();
        }

        Task<WouldHaveFired> DraftAsync(Action<EventRule> configure)
        {
            var draft = new EventRule { Name = "draft", EventType = ImapEventType.ConnectionFailed, ServerName = server };
            configure(draft);
            return Rules.WouldHaveFiredAsync(draft, default);
        }

        Assert.Equal(new WouldHaveFired(3, 3, 0, 0), await DraftAsync(_ => { }));
        Assert.Equal(new WouldHaveFired(3, 2, 0, 0), await DraftAsync(r => r.GroupByServer = true));
        Assert.Equal(new WouldHaveFired(3, 1, 0, 1), await DraftAsync(r => { r.GroupByServer = true; r.Notify = NotifyMode.OncePerIncident; r.EscalateAfterMinutes = 30; }));
    }

    private static Incident NewIncident(string server, string user, DateTimeOffset openedAt, DateTimeOffset? closedAt) => new()
    {
        Id = Guid.NewGuid(),
        MailboxName = user,
        ServerName = server,
        ServerPort = 993,
        LoginUsername = user,
        Stage = CheckStage.Connect,
        ErrorKind = CheckErrorKind.ConnectionRefused,
        LastError = "Connection refused.",
        OpenedAt = openedAt,
        LastFailureAt = openedAt,
        FailedChecks = 1,
        ClosedAt = closedAt,
    };

    private static ImapEvent Failure(Incident incident, DateTimeOffset at, int failureNumber) => new()
    {
        Id = Guid.NewGuid(),
        Type = ImapEventType.ConnectionFailed,
        OccurredAt = at,
        MailboxName = incident.MailboxName,
        ServerName = incident.ServerName,
        ServerPort = incident.ServerPort,
        LoginUsername = incident.LoginUsername,
        Stage = CheckStage.Connect,
        ErrorKind = CheckErrorKind.ConnectionRefused,
        ErrorMessage = "Connection refused.",
        IncidentId = incident.Id,
        FailureNumber = failureNumber,
        DispatchedAt = at,
    };
}
