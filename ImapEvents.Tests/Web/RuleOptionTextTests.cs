using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Rules;
using ImapEvents.Web.Features.Rules;

namespace ImapEvents.Tests.Web;

/// <summary>How the rules list and the editor word a rule's incident options.</summary>
public sealed class RuleOptionTextTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public void TheRulesList_MentionsOnlyTheOptionsThatDifferFromTheDefaults()
    {
        Assert.Null(RuleSummary.Options(new EventRule()));
        Assert.Equal(
            "after 3 failures · once per incident · on recovery · grouped · escalates after 30 min",
            RuleSummary.Options(new EventRule
            {
                FireAfterFailures = 3,
                Notify = NotifyMode.OncePerIncident,
                NotifyOnRecovery = true,
                GroupByServer = true,
                EscalateAfterMinutes = 30,
            }));
        Assert.Equal("escalates after 2 h", RuleSummary.Options(new EventRule { EscalateAfterMinutes = 120 }));
        Assert.Equal("only incidents of 5+ failures", RuleSummary.Options(new EventRule { EventType = ImapEventType.Recovered, FireAfterFailures = 5 }));
    }

    [Theory]
    [InlineData(0, "This rule as edited would not have fired in the last 7 days.")]
    [InlineData(1, "This rule as edited would have fired once in the last 7 days.")]
    [InlineData(25, "This rule as edited would have fired 25 times in the last 7 days.")]
    public void WouldHaveFired_WithTheDefaults_SaysItAsBefore(int count, string text) =>
        Assert.Equal(text, WouldHaveFiredText.Describe(new WouldHaveFired(count, count, 0, 0), IncidentOptions.Default, Minute));

    [Fact]
    public void WouldHaveFired_WithOptions_SaysWhatMatchedAndWhatWouldHaveBeenSent()
    {
        var options = new IncidentOptions(3, NotifyMode.OncePerIncident, NotifyOnRecovery: true, GroupByServer: false, EscalateAfterMinutes: null);

        Assert.Equal(
            "In the last 7 days this rule as edited matched 25 events and, with its incident options, would have notified once, plus once on recovery.",
            WouldHaveFiredText.Describe(new WouldHaveFired(25, 1, 1, 0), options, Minute));
        Assert.Equal(
            "This rule as edited would not have fired in the last 7 days.",
            WouldHaveFiredText.Describe(WouldHaveFired.None, options, Minute));
    }

    [Fact]
    public void WouldHaveFired_SaysThatAGroupCountsOnce_AndThatAcknowledgementsAreNotReplayed()
    {
        var options = new IncidentOptions(1, NotifyMode.EveryEvent, NotifyOnRecovery: false, GroupByServer: true, EscalateAfterMinutes: 30);

        Assert.Equal(
            "In the last 7 days this rule as edited matched 40 events and, with its incident options, would have notified 2 times, and escalated 0 times. " +
            "Failures on one server and stage within 1 min count once, as their one grouped notification. " +
            "Acknowledgements are not replayed: an incident acknowledged in time would not have escalated.",
            WouldHaveFiredText.Describe(new WouldHaveFired(40, 2, 0, 0), options, Minute));
    }
}
