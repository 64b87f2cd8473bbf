using ImapEvents.Core.Incidents;
using ImapEvents.Core.Rules;
using ImapEvents.Core.Text;

namespace ImapEvents.Web.Features.Rules;

/// <summary>"Would have fired", as the rule editor says it under the form.</summary>
internal static class WouldHaveFiredText
{
    public static string Describe(WouldHaveFired result, IncidentOptions options, TimeSpan groupingWindow)
    {
        if (result.Matched == 0)
        {
            return "This rule as edited would not have fired in the last 7 days.";
        }

        // With the default options every match fires: say it as the source feature's users expect.
        if (options == IncidentOptions.Default)
        {
            return result.Notifications switch
            {
                0 => "This rule as edited would not have fired in the last 7 days.",
                1 => "This rule as edited would have fired once in the last 7 days.",
                var count => $"This rule as edited would have fired {count} times in the last 7 days.",
            };
        }

        var text = $"In the last 7 days this rule as edited matched {Count(result.Matched, "event")} and, with its incident options, would have notified {Times(result.Notifications)}";
        if (options.NotifyOnRecovery)
        {
            text += $", plus {Times(result.Recoveries)} on recovery";
        }

        if (options.EscalateAfterMinutes is not null)
        {
            text += $", and escalated {Times(result.Escalations)}";
        }

        text += ".";
        if (options.GroupByServer)
        {
            text += $" Failures on one server and stage within {DurationText.Of(groupingWindow)} count once, as their one grouped notification.";
        }

        if (options.EscalateAfterMinutes is not null)
        {
            // Nobody can know whether an incident would have been acknowledged after notifications that were never sent.
            text += " Acknowledgements are not replayed: an incident acknowledged in time would not have escalated.";
        }

        return text;
    }

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    private static string Times(int count) => count switch
    {
        0 => "0 times",
        1 => "once",
        _ => $"{count} times",
    };
}
