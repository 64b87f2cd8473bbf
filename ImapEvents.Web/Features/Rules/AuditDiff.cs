using System.Text.Json;
using System.Text.Json.Nodes;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Rules;

namespace ImapEvents.Web.Features.Rules;

public sealed record FieldChange(string Field, string? Before, string? After);

/// <summary>
/// What an audit entry changed, field by field, from the rule documents stored before and after. The
/// documents hold what export writes (LoginFailed, any, CallWebhook, POST); the history shows each value
/// as the editor does (IMAP Login Failed, Any, Call Webhook, POST form).
/// </summary>
public static class AuditDiff
{
    /// <summary>A field of the rule document: the editor's label, and how the editor words a stored value (null: not set).</summary>
    /// <param name="Missing">
    /// How a document that lacks the field reads next to one that has it: a document stored before the field existed
    /// meant its default, so the first edit after an upgrade does not show the default as a change.
    /// </param>
    private sealed record Field(string Key, string Label, Func<JsonNode, string?> Show, string? Missing = null);

    private static readonly Field[] RuleFields =
    [
        new("name", "Name", Plain),
        new("enabled", "Enabled", YesNo),
        new("eventType", "Event Type", node => Named<ImapEventType>(node, type => type.DisplayName())),
        new("timeFrom", "Time of Day from", Plain),
        new("timeTo", "Time of Day to", Plain),
        new("timeZone", "Time Zone", Plain),
        new("daysOfWeek", "Day of Week", Days),
        new("serverName", "Server Name", Plain),
        new("serverPort", "Server Port", Plain),
        new("loginUsername", "Login Username", Plain),
        new("ssl", "SSL", node => Named<SslCondition>(node, ssl => ssl.DisplayName())),
        new("snoozedUntil", "Snoozed until", Plain),
        new("fireAfterFailures", RuleValidation.FireAfterFailures, Plain, Missing: "1"),
        new("notify", RuleValidation.Notify, node => Named<NotifyMode>(node, mode => mode.DisplayName()), Missing: NotifyMode.EveryEvent.DisplayName()),
        new("notifyOnRecovery", RuleValidation.NotifyOnRecovery, YesNo, Missing: "No"),
        new("groupByServer", RuleValidation.GroupByServer, YesNo, Missing: "No"),
        new("escalateAfterMinutes", RuleValidation.EscalateAfterMinutes, Minutes),
    ];

    private static readonly Field[] ActionFields =
    [
        new("kind", "Kind", node => Named<ActionKind>(node, kind => kind.DisplayName())),
        new("url", "URL", Plain),
        new("method", "Method", Method),
        new("slackCompatible", "Slack-compatible body", YesNo),
        new("fileName", "File Name", Plain),
        new("recipients", "Recipients", Plain),
        new("subject", "Subject", Plain),
        new("provider", "Provider", Plain),
        new("message", "Message", Plain),
        new("disabled", "Disabled", Plain),
    ];

    public static IReadOnlyList<FieldChange> Changes(string? before, string? after)
    {
        var old = Parse(before);
        var current = Parse(after);
        var changes = RuleFields
            .Select(field => new FieldChange(field.Label, Show(old, field, current), Show(current, field, old)))
            .ToList();

        changes.AddRange(ActionChanges(old?["actions"] as JsonArray, current?["actions"] as JsonArray, ActionList.Main));
        changes.AddRange(ActionChanges(old?["escalationActions"] as JsonArray, current?["escalationActions"] as JsonArray, ActionList.Escalation));
        return changes.Where(change => change.Before != change.After).ToList();
    }

    /// <summary>Actions compare place by place within their list: "Action 2: URL", "Escalation action 1: URL".</summary>
    private static IEnumerable<FieldChange> ActionChanges(JsonArray? oldActions, JsonArray? newActions, ActionList list)
    {
        var count = Math.Max(oldActions?.Count ?? 0, newActions?.Count ?? 0);
        for (var i = 0; i < count; i++)
        {
            var was = oldActions is not null && i < oldActions.Count ? oldActions[i] as JsonObject : null;
            var now = newActions is not null && i < newActions.Count ? newActions[i] as JsonObject : null;
            foreach (var field in ActionFields)
            {
                yield return new FieldChange(ActionValidation.Key(i, field.Label, list), Show(was, field), Show(now, field));
            }

            // Stored as whole minutes, left out for "every time": only an action that exists has a max frequency.
            yield return new FieldChange(ActionValidation.Key(i, ActionValidation.MaxFrequencyLabel, list), MaxFrequencyOf(was), MaxFrequencyOf(now));
        }
    }

    /// <summary>The kind of change, in words.</summary>
    public static string ChangeLabel(RuleChange change) => change switch
    {
        RuleChange.Created => "Created",
        RuleChange.Updated => "Edited",
        RuleChange.Enabled => "Enabled",
        RuleChange.Disabled => "Disabled",
        RuleChange.Snoozed => "Snoozed",
        RuleChange.Unsnoozed => "Snooze ended",
        RuleChange.Deleted => "Deleted",
        RuleChange.Imported => "Imported",
        RuleChange.ReplacedByImport => "Replaced by import",
        RuleChange.ActionDisabled => "Action disabled",
        RuleChange.OwnershipTaken => "Ownership taken",
    };

    private static JsonObject? Parse(string? json) => string.IsNullOrEmpty(json) ? null : JsonNode.Parse(json) as JsonObject;

    private static string? Show(JsonObject? document, Field field) =>
        document?[field.Key] is { } node ? field.Show(node) : null;

    private static string? Show(JsonObject? document, Field field, JsonObject? other) =>
        document is not null && document[field.Key] is null && other?[field.Key] is not null ? field.Missing : Show(document, field);

    /// <summary>"30 minutes", as the editor's field counts them.</summary>
    private static string? Minutes(JsonNode node) =>
        node is JsonValue value && value.TryGetValue<int>(out var minutes) ? (minutes == 1 ? "1 minute" : $"{minutes} minutes") : Plain(node);

    private static string? MaxFrequencyOf(JsonObject? action) =>
        action is null ? null : MaxFrequency.Describe(action["maxFrequencyMinutes"] is JsonValue minutes && minutes.TryGetValue<int>(out var value) ? TimeSpan.FromMinutes(value) : null);

    private static string? Plain(JsonNode node) => node switch
    {
        JsonArray array => array.Count == 0 ? null : string.Join(", ", array.Select(item => item?.ToString())),
        JsonValue value => value.ToString(),
        _ => node.ToJsonString(),
    };

    private static string? YesNo(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.True => "Yes",
        JsonValueKind.False => "No",
        _ => Plain(node),
    };

    /// <summary>The label of a stored enum value (by its name or its label, as import reads it); anything else as stored.</summary>
    private static string? Named<TEnum>(JsonNode node, Func<TEnum, string> label)
        where TEnum : struct, Enum
    {
        var text = Plain(node);
        foreach (var value in Enum.GetValues<TEnum>())
        {
            if (string.Equals(value.ToString(), text, StringComparison.OrdinalIgnoreCase) || string.Equals(label(value), text, StringComparison.OrdinalIgnoreCase))
            {
                return label(value);
            }
        }

        return text;
    }

    /// <summary>Export writes GET or POST (see <see cref="ActionDocument"/>).</summary>
    private static string? Method(JsonNode node) => Plain(node)?.ToUpperInvariant() switch
    {
        "GET" => WebPageMethod.Get.DisplayName(),
        "POST" => WebPageMethod.PostForm.DisplayName(),
        var other => Named<WebPageMethod>(node, method => method.DisplayName()) ?? other,
    };

    /// <summary>In the editor's order, Monday first.</summary>
    private static string? Days(JsonNode node)
    {
        if (node is not JsonArray array)
        {
            return Plain(node);
        }

        var names = array.Select(item => item?.ToString() ?? "").ToList();
        var known = RuleEditorDialog.WeekFromMonday.Where(day => names.Contains(day.ToString(), StringComparer.OrdinalIgnoreCase)).Select(day => day.ToString());
        var unknown = names.Where(name => !RuleEditorDialog.WeekFromMonday.Any(day => string.Equals(day.ToString(), name, StringComparison.OrdinalIgnoreCase)));
        return Plain(new JsonArray([.. known.Concat(unknown).Select(name => (JsonNode)name)]));
    }
}
