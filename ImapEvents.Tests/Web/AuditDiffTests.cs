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
            [new FieldChange("Day of Week", null, "Saturday, Sunday"), new FieldChange("Server Port", "993", null), new FieldChange("SSL", "any", "true")],
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
                new FieldChange("Action 2: Kind", "LogToFile", null),
                new FieldChange("Action 2: File Name", "a.log", null),
                new FieldChange("Action 2: Max Frequency (minutes)", "15", null),
            ],
            changes);
    }
}
