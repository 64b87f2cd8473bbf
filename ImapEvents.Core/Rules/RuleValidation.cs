using ImapEvents.Core.Actions;

namespace ImapEvents.Core.Rules;

/// <summary>What a rule must satisfy. Keys are the field labels administrators see (Name, Time of Day, …).</summary>
public static class RuleValidation
{
    public const string Name = "Name";
    public const string TimeOfDay = "Time of Day";
    public const string TimeZone = "Time Zone";
    public const string ServerName = "Server Name";
    public const string ServerPort = "Server Port";
    public const string LoginUsername = "Login Username";
    public const string EventType = "Event Type";
    public const string Actions = "Actions";

    /// <summary>More would make one event a flood of deliveries; split the rule instead.</summary>
    public const int MaxActions = 20;

    public static IReadOnlyDictionary<string, string> Validate(EventRule rule)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);

        if (string.IsNullOrWhiteSpace(rule.Name))
        {
            errors[Name] = "Give the rule a name, like \"Page on-call when support cannot log in\".";
        }
        else if (rule.Name.Trim().Length > 200)
        {
            errors[Name] = "Use at most 200 characters.";
        }

        if (!Enum.IsDefined(rule.EventType))
        {
            errors[EventType] = "Choose one of the four IMAP events.";
        }

        if ((rule.TimeFrom is null) != (rule.TimeTo is null))
        {
            errors[TimeOfDay] = "Give both the start and the end of the time frame, or neither for any time.";
        }
        else if (rule.TimeFrom is { } from && rule.TimeTo is { } to && from == to)
        {
            errors[TimeOfDay] = "The start and end are the same; leave both empty for any time of day.";
        }

        if (!string.IsNullOrWhiteSpace(rule.TimeZoneId) && !TimeZoneInfo.TryFindSystemTimeZoneById(rule.TimeZoneId, out _))
        {
            errors[TimeZone] = $"\"{rule.TimeZoneId}\" is not a time zone this server knows; use an IANA name like Europe/Berlin.";
        }

        if (rule.ServerPort is { } port && port is < 1 or > 65535)
        {
            errors[ServerPort] = "Enter a port from 1 to 65535, or leave it empty for any port.";
        }

        if (PatternProblem(rule.ServerName, 253) is { } serverProblem)
        {
            errors[ServerName] = serverProblem;
        }

        if (PatternProblem(rule.LoginUsername, 320) is { } userProblem)
        {
            errors[LoginUsername] = userProblem;
        }

        if (rule.Actions.Count == 0)
        {
            errors[Actions] = "Add at least one action: what should happen when the rule matches.";
        }
        else if (rule.Actions.Count > MaxActions)
        {
            errors[Actions] = $"Use at most {MaxActions} actions in one rule.";
        }

        for (var i = 0; i < rule.Actions.Count; i++)
        {
            ActionValidation.Validate(i, rule.Actions[i], errors);
        }

        return errors;
    }

    private static string? PatternProblem(string? pattern, int maxLength) =>
        pattern is null ? null
        : pattern.Length > maxLength ? $"Use at most {maxLength} characters."
        : pattern.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) ? "Spaces are not allowed; use * to match any run of characters."
        : null;
}
