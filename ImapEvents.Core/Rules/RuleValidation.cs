using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;

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
    public const string FireAfterFailures = "Fire after N consecutive failures";
    public const string Notify = "Notify";
    public const string NotifyOnRecovery = "Also notify on recovery";
    public const string GroupByServer = "Group by server";
    public const string EscalateAfterMinutes = "Escalate after M minutes";
    public const string EscalationActions = "Escalation actions";

    /// <summary>More would make one event a flood of deliveries; split the rule instead.</summary>
    public const int MaxActions = 20;

    /// <summary>At a 1-minute poll, 1000 failed checks is most of a day: beyond that "after N failures" is a typo.</summary>
    public const int MaxFireAfterFailures = 1000;

    /// <summary>Seven days: an incident open longer than that is not one an escalation still helps with.</summary>
    public const int MaxEscalateAfterMinutes = 7 * 24 * 60;

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
            errors[EventType] = "Choose one of the IMAP events.";
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

        ValidateIncidentOptions(rule, errors);
        return errors;
    }

    /// <summary>The incident options: in range, used only where the event type gives them a meaning, and an escalation that has both its time and its actions.</summary>
    private static void ValidateIncidentOptions(EventRule rule, Dictionary<string, string> errors)
    {
        var type = rule.EventType;
        if (rule.FireAfterFailures is < 1 or > MaxFireAfterFailures)
        {
            errors[FireAfterFailures] = $"Enter a number of failed checks from 1 to {MaxFireAfterFailures} (1 = at the first failure).";
        }
        else if (rule.FireAfterFailures != 1 && Enum.IsDefined(type) && !type.HasFailureCount())
        {
            errors[FireAfterFailures] = IncidentOptionsScope.DoesNotApply(type, "these events are not failed checks. Use 1.");
        }

        if (!Enum.IsDefined(rule.Notify))
        {
            errors[Notify] = $"Choose {NotifyMode.EveryEvent.DisplayName()} or {NotifyMode.OncePerIncident.DisplayName()}.";
        }
        else if (rule.Notify != NotifyMode.EveryEvent && Enum.IsDefined(type) && !type.HasIncidentOptions())
        {
            errors[Notify] = IncidentOptionsScope.DoesNotApply(type, $"use {NotifyMode.EveryEvent.DisplayName()}.");
        }

        if (rule.NotifyOnRecovery && Enum.IsDefined(type) && !type.HasIncidentOptions())
        {
            errors[NotifyOnRecovery] = IncidentOptionsScope.DoesNotApply(type, "only a failure's incident can recover. Turn it off.");
        }

        if (rule.GroupByServer && Enum.IsDefined(type) && !type.HasIncidentOptions())
        {
            errors[GroupByServer] = IncidentOptionsScope.DoesNotApply(type, "only failures are grouped by server. Turn it off.");
        }

        var escalates = rule.EscalateAfterMinutes is not null || rule.EscalationActions.Count > 0;
        if (escalates && Enum.IsDefined(type) && !type.HasIncidentOptions())
        {
            errors[rule.EscalateAfterMinutes is null ? EscalationActions : EscalateAfterMinutes] =
                IncidentOptionsScope.DoesNotApply(type, "only an open incident escalates. Leave Escalate after M minutes empty and remove the escalation actions.");
            return;
        }

        if (rule.EscalateAfterMinutes is { } minutes)
        {
            if (minutes is < 1 or > MaxEscalateAfterMinutes)
            {
                errors[EscalateAfterMinutes] = $"Enter minutes from 1 to {MaxEscalateAfterMinutes} (7 days), or leave it empty for no escalation.";
            }

            if (rule.EscalationActions.Count == 0)
            {
                errors[EscalationActions] = "Add at least one escalation action: what runs when the incident is still open and unacknowledged after that many minutes.";
            }
        }
        else if (rule.EscalationActions.Count > 0)
        {
            errors[EscalateAfterMinutes] = "Enter after how many minutes the escalation actions run, or remove them.";
        }

        if (rule.EscalationActions.Count > MaxActions)
        {
            errors[EscalationActions] = $"Use at most {MaxActions} escalation actions in one rule.";
        }

        for (var i = 0; i < rule.EscalationActions.Count; i++)
        {
            ActionValidation.Validate(i, rule.EscalationActions[i], errors, ActionList.Escalation);
        }
    }

    private static string? PatternProblem(string? pattern, int maxLength) =>
        pattern is null ? null
        : pattern.Length > maxLength ? $"Use at most {maxLength} characters."
        : pattern.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) ? "Spaces are not allowed; use * to match any run of characters."
        : null;
}
