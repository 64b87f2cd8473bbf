using System.Text.Json.Nodes;

namespace ImapEvents.Web.Features.Rules;

public sealed record FieldChange(string Field, string? Before, string? After);

/// <summary>What an audit entry changed, field by field, from the rule documents stored before and after.</summary>
public static class AuditDiff
{
    /// <summary>The JSON names of the rule document, with the labels people know.</summary>
    private static readonly Dictionary<string, string> Labels = new(StringComparer.Ordinal)
    {
        ["name"] = "Name",
        ["enabled"] = "Enabled",
        ["eventType"] = "Event Type",
        ["timeFrom"] = "Time of Day from",
        ["timeTo"] = "Time of Day to",
        ["timeZone"] = "Time Zone",
        ["daysOfWeek"] = "Day of Week",
        ["serverName"] = "Server Name",
        ["serverPort"] = "Server Port",
        ["loginUsername"] = "Login Username",
        ["ssl"] = "SSL",
        ["snoozedUntil"] = "Snoozed until",
    };

    /// <summary>The JSON names of an action in the rule document, with the editor's labels.</summary>
    private static readonly Dictionary<string, string> ActionLabels = new(StringComparer.Ordinal)
    {
        ["kind"] = "Kind",
        ["url"] = "URL",
        ["method"] = "Method",
        ["slackCompatible"] = "Slack-compatible body",
        ["fileName"] = "File Name",
        ["recipients"] = "Recipients",
        ["subject"] = "Subject",
        ["provider"] = "Provider",
        ["message"] = "Message",
        ["maxFrequencyMinutes"] = "Max Frequency (minutes)",
    };

    public static IReadOnlyList<FieldChange> Changes(string? before, string? after)
    {
        var old = Parse(before);
        var current = Parse(after);
        var changes = Labels
            .Select(label => new FieldChange(label.Value, Text(old?[label.Key]), Text(current?[label.Key])))
            .ToList();

        // Actions compare place by place: "Action 2: URL".
        var oldActions = old?["actions"] as JsonArray;
        var newActions = current?["actions"] as JsonArray;
        var count = Math.Max(oldActions?.Count ?? 0, newActions?.Count ?? 0);
        for (var i = 0; i < count; i++)
        {
            var was = oldActions is not null && i < oldActions.Count ? oldActions[i] as JsonObject : null;
            var now = newActions is not null && i < newActions.Count ? newActions[i] as JsonObject : null;
            changes.AddRange(ActionLabels.Select(label => new FieldChange($"Action {i + 1}: {label.Value}", Text(was?[label.Key]), Text(now?[label.Key]))));
        }

        return changes.Where(change => change.Before != change.After).ToList();
    }

    private static JsonObject? Parse(string? json) => string.IsNullOrEmpty(json) ? null : JsonNode.Parse(json) as JsonObject;

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonArray array => array.Count == 0 ? null : string.Join(", ", array.Select(item => item?.ToString())),
        JsonValue value => value.ToString(),
        _ => node.ToJsonString(),
    };
}
