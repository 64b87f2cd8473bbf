using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Core.Text;
using ImapEvents.Web.Shared;

namespace ImapEvents.Web.Features.Rules;

/// <summary>A rule's conditions in one line, for the rules list.</summary>
internal static class RuleSummary
{
    public static string Conditions(EventRule rule)
    {
        var parts = new List<string>();
        if (rule.HasTimeOfDay)
        {
            parts.Add($"{TimeOfDayText.Format(rule.TimeFrom, rule.TimeTo)}{(rule.TimeZoneId is { } zone ? $" ({zone})" : "")}");
        }

        if (rule.DaysOfWeek != DaysOfWeek.None)
        {
            parts.Add(rule.DaysOfWeek switch
            {
                DaysOfWeek.Weekdays => "weekdays",
                DaysOfWeek.Weekend => "weekends",
                DaysOfWeek.All => "every day",
                _ => string.Join(", ", Enum.GetValues<DayOfWeek>().Where(d => RuleConditions.DayHolds(rule.DaysOfWeek, d)).Select(d => d.ToString()[..3])),
            });
        }

        if (rule.ServerName is { } server)
        {
            parts.Add($"server {server}");
        }

        if (rule.ServerPort is { } port)
        {
            parts.Add($"port {port}");
        }

        if (rule.LoginUsername is { } user)
        {
            parts.Add($"user {user}");
        }

        if (rule.Ssl != SslCondition.Any)
        {
            parts.Add($"SSL {rule.Ssl.DisplayName()}");
        }

        return parts.Count == 0 ? "Every event of this type" : string.Join(" · ", parts);
    }

    /// <summary>
    /// The incident options that differ from the defaults, in the editor's order ("after 3 failures · once per incident ·
    /// on recovery · grouped · escalates after 30 min"); null when the rule notifies on every matching event.
    /// </summary>
    public static string? Options(EventRule rule)
    {
        var parts = new List<string>();
        if (rule.FireAfterFailures > 1)
        {
            parts.Add(rule.EventType == ImapEventType.Recovered
                ? $"only incidents of {rule.FireAfterFailures}+ failures"
                : $"after {rule.FireAfterFailures} failures");
        }

        if (rule.Notify == NotifyMode.OncePerIncident)
        {
            parts.Add("once per incident");
        }

        if (rule.NotifyOnRecovery)
        {
            parts.Add("on recovery");
        }

        if (rule.GroupByServer)
        {
            parts.Add("grouped");
        }

        if (rule.EscalateAfterMinutes is { } minutes)
        {
            parts.Add($"escalates after {DurationText.Of(TimeSpan.FromMinutes(minutes))}");
        }

        return parts.Count == 0 ? null : string.Join(" · ", parts);
    }

    /// <summary>The actions in their order, each with its max frequency when it has one, and whether it is disabled.</summary>
    public static string Actions(EventRule rule) => rule.Actions.Count == 0 ? "None" : ActionList(rule.Actions);

    /// <summary>"Escalation: Send Email → Call Webhook"; null when the rule does not escalate.</summary>
    public static string? EscalationActions(EventRule rule) =>
        rule.EscalationActions.Count == 0 ? null : $"Escalation: {ActionList(rule.EscalationActions)}";

    private static string ActionList(IEnumerable<RuleAction> actions) =>
        string.Join(" → ", actions.Select(a => (a.MaxFrequency is null
            ? a.Kind.DisplayName()
            : $"{a.Kind.DisplayName()} ({MaxFrequency.Describe(a.MaxFrequency).ToLowerInvariant()})") + (a.DisabledAt is null ? "" : " (disabled)")));

    /// <summary>Why an action fires no more and what to do, as the rules list and the editor say it; null while it fires.</summary>
    public static string? DisabledNotice(RuleAction action, ViewerTime viewer) =>
        action.DisabledAt is { } at
            ? $"Disabled: {action.DisabledReason ?? "by ImapEvents"} on {viewer.Text(at)}; check the address and enable it again."
            : null;
}
