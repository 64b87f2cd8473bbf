using System.Text.Json;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Web.Features.Rules;

namespace ImapEvents.Tests.Web;

public sealed class AuditDiffTests
{
    [Fact]
    public void AnUpdate_ListsOnlyTheFieldsThatChanged_WithTheirLabels()
    {
        const string before = """{ "name": "Night", "enabled": true, "eventType": "LoginFailed", "daysOfWeek": [], "ssl": "any", "serverPort": 993 }""";
        const string after = """{ "name": "Night", "enabled": true, "eventType": "LoginFailed", "daysOfWeek": ["Saturday", "Sunday"], "ssl": "true" }""";

        var changes = AuditDiff.Changes(before, after);

        Assert.Equal(
            [new FieldChange("Day of Week", null, "Saturday, Sunday"), new FieldChange("Server Port", "993", null), new FieldChange("SSL", "Any", "true")],
            changes);
    }

    [Fact]
    public void ACreation_ListsWhatWasSet_AndADeletion_WhatWasThere()
    {
        const string rule = """{ "name": "Night", "eventType": "LoginFailed", "ssl": "any" }""";

        Assert.Equal(3, AuditDiff.Changes(null, rule).Count);
        Assert.All(AuditDiff.Changes(rule, null), change => Assert.Null(change.After));
    }

    [Fact]
    public void ActionChanges_AreListedByTheirPlaceAndLabel()
    {
        const string before = """
            { "name": "Night", "actions": [ { "kind": "CallWebhook", "url": "https://a.example/hook" }, { "kind": "LogToFile", "fileName": "a.log", "maxFrequencyMinutes": 15 } ] }
            """;
        const string after = """
            { "name": "Night", "actions": [ { "kind": "CallWebhook", "url": "https://b.example/hook" } ] }
            """;

        var changes = AuditDiff.Changes(before, after);

        Assert.Equal(
            [
                new FieldChange("Action 1: URL", "https://a.example/hook", "https://b.example/hook"),
                new FieldChange("Action 2: Kind", "Log to File", null),
                new FieldChange("Action 2: File Name", "a.log", null),
                new FieldChange("Action 2: Max Frequency", "At most once every 15 minutes", null),
            ],
            changes);
    }

    /// <summary>
    /// The audit trail stores rule documents as export writes them (enum names such as LoginFailed);
    /// the history must show what the editor shows for each of them.
    /// </summary>
    [Fact]
    public void EveryEnumValuedField_ShowsTheEditorsLabel_NotTheEnumName()
    {
        var rule = new EventRule
        {
            Name = "Labels",
            Enabled = false,
            EventType = ImapEventType.LoginFailed,
            DaysOfWeek = DaysOfWeek.Sunday | DaysOfWeek.Monday,
            Ssl = SslCondition.Any,
        };
        var page = RuleAction.Create(ActionKind.CallWebPage);
        page.Url = "https://tasks.example.com/new";
        page.Method = WebPageMethod.PostForm;
        var hook = RuleAction.Create(ActionKind.CallWebhook);
        hook.Url = "https://hooks.example.com/imap";
        hook.SlackCompatible = true;
        var log = RuleAction.Create(ActionKind.LogToFile);
        log.FileName = "imap.log";
        var email = RuleAction.Create(ActionKind.SendEmail);
        email.Recipients = "oncall@example.com";
        email.MaxFrequency = TimeSpan.FromHours(1);
        rule.Actions.AddRange([page, hook, log, email, RuleAction.Create(ActionKind.UseMyNotificationProfile), RuleAction.Create(ActionKind.NotifyExternalProvider)]);
        var document = JsonSerializer.Serialize(RuleDocument.From(rule), RuleDocument.Json);

        var shown = AuditDiff.Changes(null, document).ToDictionary(c => c.Field, c => c.After);

        Assert.Equal("IMAP Login Failed", shown["Event Type"]);
        Assert.Equal("No", shown["Enabled"]);
        Assert.Equal("Any", shown["SSL"]);
        Assert.Equal("Monday, Sunday", shown["Day of Week"]);
        Assert.Equal("Call Web Page", shown["Action 1: Kind"]);
        Assert.Equal("POST form", shown["Action 1: Method"]);
        Assert.Equal("Every time", shown["Action 1: Max Frequency"]);
        Assert.Equal("Call Webhook", shown["Action 2: Kind"]);
        Assert.Equal("Yes", shown["Action 2: Slack-compatible body"]);
        Assert.Equal("Log to File", shown["Action 3: Kind"]);
        Assert.Equal("At most once every 15 minutes", shown["Action 3: Max Frequency"]);
        Assert.Equal("Send Email", shown["Action 4: Kind"]);
        Assert.Equal("At most once an hour", shown["Action 4: Max Frequency"]);
        Assert.Equal("Use My Notification Profile", shown["Action 5: Kind"]);
        Assert.Equal("Notify Events External Provider", shown["Action 6: Kind"]);
        Assert.DoesNotContain(shown.Values, value => value is "LoginFailed" or "any" or "CallWebPage" or "CallWebhook" or "LogToFile" or "SendEmail" or "POST" or "True" or "False");
    }

    [Theory]
    [InlineData("true", "true")]
    [InlineData("false", "false")]
    [InlineData("any", "Any")]
    public void Ssl_ShowsTheEditorsChoice(string stored, string shown)
    {
        var change = Assert.Single(AuditDiff.Changes($$"""{ "ssl": "{{stored}}" }""", """{ }"""));

        Assert.Equal(new FieldChange("SSL", shown, null), change);
    }

    [Fact]
    public void IncidentOptionChanges_AreListedInTheEditorsWords_WithTheEscalationActionsByTheirPlace()
    {
        const string before = """
            { "name": "Night", "fireAfterFailures": 1, "notify": "EveryEvent", "notifyOnRecovery": false, "groupByServer": false, "escalationActions": [] }
            """;
        const string after = """
            { "name": "Night", "fireAfterFailures": 3, "notify": "OncePerIncident", "notifyOnRecovery": true, "groupByServer": true, "escalateAfterMinutes": 30,
              "escalationActions": [ { "kind": "SendEmail", "recipients": "oncall@example.com", "maxFrequencyMinutes": 60 } ] }
            """;

        var changes = AuditDiff.Changes(before, after);

        Assert.Equal(
            [
                new FieldChange("Fire after N consecutive failures", "1", "3"),
                new FieldChange("Notify", "On every matching event", "Once per incident"),
                new FieldChange("Also notify on recovery", "No", "Yes"),
                new FieldChange("Group by server", "No", "Yes"),
                new FieldChange("Escalate after M minutes", null, "30 minutes"),
                new FieldChange("Escalation action 1: Kind", null, "Send Email"),
                new FieldChange("Escalation action 1: Recipients", null, "oncall@example.com"),
                new FieldChange("Escalation action 1: Max Frequency", null, "At most once an hour"),
            ],
            changes);
    }

    [Fact]
    public void ARuleStoredBeforeTheIncidentOptions_ShowsNoChangeOfThem_WhenNextSavedWithTheDefaults()
    {
        const string before = """{ "name": "Night", "eventType": "LoginFailed" }""";
        var after = JsonSerializer.Serialize(RuleDocument.From(new EventRule { Name = "Night", EventType = ImapEventType.LoginFailed }), RuleDocument.Json);

        Assert.DoesNotContain(AuditDiff.Changes(before, after), change => change.Field is "Fire after N consecutive failures" or "Notify" or "Also notify on recovery" or "Group by server");
        Assert.Equal(new FieldChange("Fire after N consecutive failures", "1", "2"), Assert.Single(AuditDiff.Changes(before, """{ "name": "Night", "eventType": "LoginFailed", "fireAfterFailures": 2 }""")));
    }

    [Fact]
    public void TheKindOfChange_IsNamedInWords()
    {
        Assert.Equal("Snooze ended", AuditDiff.ChangeLabel(RuleChange.Unsnoozed));
        Assert.Equal("Edited", AuditDiff.ChangeLabel(RuleChange.Updated));
        Assert.Equal("Replaced by import", AuditDiff.ChangeLabel(RuleChange.ReplacedByImport));
    }
}
