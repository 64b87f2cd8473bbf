using System.Text.Json;
using ImapEvents.Core.Actions;

namespace ImapEvents.Infrastructure.Rules;

/// <summary>
/// Reads an export file for import. Whatever is wrong with it is said in words an administrator can act
/// on, naming the rule and the field: System.Text.Json's own messages name .NET types and JSON paths
/// ("could not be converted to System.Nullable`1[System.Int32]. Path: $.rules[0].serverPort").
/// </summary>
internal static class RuleExportReader
{
    public const string Format = "imapevents-rules";

    /// <summary>The rules of the file, each with its place in it (1-based), and the problems found; a file with problems imports nothing.</summary>
    public static (IReadOnlyList<(int Number, RuleDocument Document)> Rules, List<string> Errors) Read(string json)
    {
        var rules = new List<(int, RuleDocument)>();
        var errors = new List<string>();
        JsonDocument file;
        try
        {
            file = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            errors.Add($"The file is not valid JSON: it stops making sense at line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}. Choose the file \"Export rules\" wrote.");
            return (rules, errors);
        }

        using (file)
        {
            var root = file.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add(NotAnExport($"expected an object with a \"rules\" list, found {Found(root)}"));
                return (rules, errors);
            }

            if (Property(root, "format") is { } format && !(format.ValueKind == JsonValueKind.String && format.GetString() == Format))
            {
                errors.Add($"The file is not an ImapEvents rules export (its \"format\" should be \"{Format}\").");
                return (rules, errors);
            }

            var list = Property(root, "rules");
            if (list is not { ValueKind: not JsonValueKind.Null } items)
            {
                errors.Add(NotAnExport("it has no \"rules\" list"));
                return (rules, errors);
            }

            if (items.ValueKind != JsonValueKind.Array)
            {
                errors.Add(NotAnExport($"its \"rules\" should be a list, found {Found(items)}"));
                return (rules, errors);
            }

            var number = 0;
            foreach (var element in items.EnumerateArray())
            {
                number++;
                if (element.ValueKind == JsonValueKind.Null)
                {
                    errors.Add($"Rule {number}: is empty (null); remove it or give it a name and an event type.");
                    continue;
                }

                if (element.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"Rule {number}: should be an object with a name and an event type, found {Found(element)}.");
                    continue;
                }

                var label = Label(number, Property(element, "name") is { ValueKind: JsonValueKind.String } name ? name.GetString() : null);
                var problems = new List<string>();
                CheckObject(element, typeof(RuleDocument), "", problems);
                if (problems.Count > 0)
                {
                    errors.AddRange(problems.Select(problem => $"{label}: {problem}"));
                    continue;
                }

                rules.Add((number, element.Deserialize<RuleDocument>(RuleDocument.Json)!));
            }
        }

        return (rules, errors);
    }

    /// <summary>How errors name a rule: its place in the file, and its name when it has one.</summary>
    public static string Label(int number, string? name) => string.IsNullOrWhiteSpace(name) ? $"Rule {number}" : $"Rule {number} (“{name}”)";

    private static string NotAnExport(string problem) => $"The file is not a rules export: {problem}.";

    /// <summary>Property names are matched as reading them does (case-insensitively).</summary>
    private static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    /// <summary>Checks each known property of an object against the type of the document's property (unknown ones are ignored, as reading does).</summary>
    private static void CheckObject(JsonElement element, Type type, string prefix, List<string> problems)
    {
        var properties = RuleDocument.Json.GetTypeInfo(type).Properties;
        foreach (var member in element.EnumerateObject())
        {
            if (properties.FirstOrDefault(p => string.Equals(p.Name, member.Name, StringComparison.OrdinalIgnoreCase)) is { } property)
            {
                CheckValue(member.Value, property.PropertyType, $"{prefix}{member.Name}", problems);
            }
        }
    }

    private static void CheckValue(JsonElement value, Type type, string field, List<string> problems)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        var core = underlying ?? type;
        if (value.ValueKind == JsonValueKind.Null)
        {
            // Reading leaves a missing text or list empty; only true/false and numbers cannot be null.
            if (core.IsValueType && underlying is null)
            {
                problems.Add($"{field}: should be {Expected(core)}, found null.");
            }

            return;
        }

        var fits = core switch
        {
            _ when core == typeof(string) => value.ValueKind == JsonValueKind.String,
            _ when core == typeof(bool) => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            _ when core == typeof(int) => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _),
            _ when core == typeof(DateTimeOffset) => value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out _),
            _ when ItemType(core) is not null => value.ValueKind == JsonValueKind.Array,
            _ => value.ValueKind == JsonValueKind.Object,
        };
        if (!fits)
        {
            problems.Add($"{field}: should be {Expected(core)}, found {Found(value)}.");
            return;
        }

        if (ItemType(core) is { } itemType)
        {
            var number = 0;
            foreach (var item in value.EnumerateArray())
            {
                number++;
                if (itemType != typeof(ActionDocument))
                {
                    CheckValue(item, itemType, $"{field} (item {number})", problems);
                }
                else if (item.ValueKind == JsonValueKind.Object)
                {
                    CheckObject(item, itemType, $"{ListOf(field).ActionName(number - 1)}: ", problems);
                }
                else if (item.ValueKind != JsonValueKind.Null)
                {
                    // A null action is reported by the rule's own checks, with how to fix it.
                    problems.Add($"{ListOf(field).ActionName(number - 1)}: should be an object with a kind, found {Found(item)}.");
                }
            }
        }
    }

    /// <summary>The rule's list of actions a property holds ("escalationActions" or "actions"), so problems name the action as the editor does.</summary>
    private static ActionList ListOf(string field) =>
        string.Equals(field, nameof(RuleDocument.EscalationActions), StringComparison.OrdinalIgnoreCase) ? ActionList.Escalation : ActionList.Main;

    private static Type? ItemType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) ? type.GetGenericArguments()[0] : null;

    private static string Expected(Type type) => type switch
    {
        _ when type == typeof(string) => "text",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) => "a whole number",
        _ when type == typeof(DateTimeOffset) => "a date and time like 2026-11-27T03:04:05+00:00",
        _ when ItemType(type) is not null => "a list",
        _ => "an object",
    };

    private static string Found(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => $"text (\"{Cut(value.GetString() ?? "")}\")",
        JsonValueKind.Number => $"the number {Cut(value.GetRawText())}",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "null",
    };

    private static string Cut(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
