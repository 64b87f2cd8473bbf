using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;

namespace ImapEvents.Tests.Core;

/// <summary>The incident options of a rule, as RuleValidation checks them (for the editor, import and every save).</summary>
public sealed class RuleOptionsValidationTests
{
    private static EventRule Rule(Action<EventRule>? configure = null)
    {
        var rule = new EventRule { Name = "Page on-call", EventType = ImapEventType.LoginFailed };
        rule.Actions.Add(Log("page.log"));
        configure?.Invoke(rule);
        return rule;
    }

    private static RuleAction Log(string fileName)
    {
        var log = RuleAction.Create(ActionKind.LogToFile);
        log.FileName = fileName;
        return log;
    }

    private static IReadOnlyDictionary<string, string> Errors(Action<EventRule> configure) => RuleValidation.Validate(Rule(configure));

    [Fact]
    public void TheDefaults_AndEveryOptionInRange_AreValid()
    {
        Assert.Empty(RuleValidation.Validate(Rule()));
        Assert.Empty(Errors(r =>
        {
            r.FireAfterFailures = RuleValidation.MaxFireAfterFailures;
            r.Notify = NotifyMode.OncePerIncident;
            r.NotifyOnRecovery = true;
            r.GroupByServer = true;
            r.EscalateAfterMinutes = RuleValidation.MaxEscalateAfterMinutes;
            r.EscalationActions.Add(Log("escalation.log"));
        }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(1001)]
    public void FireAfterN_OutsideOneToAThousand_IsRefused(int n) =>
        Assert.Equal("Enter a number of failed checks from 1 to 1000 (1 = at the first failure).", Errors(r => r.FireAfterFailures = n)[RuleValidation.FireAfterFailures]);

    [Fact]
    public void AnUnknownNotifyChoice_IsRefused() =>
        Assert.Equal("Choose On every matching event or Once per incident.", Errors(r => r.Notify = (NotifyMode)7)[RuleValidation.Notify]);

    [Theory]
    [InlineData(0)]
    [InlineData(10081)]
    public void EscalateAfterM_OutsideAMinuteToSevenDays_IsRefused(int minutes)
    {
        var errors = Errors(r =>
        {
            r.EscalateAfterMinutes = minutes;
            r.EscalationActions.Add(Log("escalation.log"));
        });

        Assert.Equal("Enter minutes from 1 to 10080 (7 days), or leave it empty for no escalation.", Assert.Single(errors).Value);
    }

    [Fact]
    public void AnEscalation_NeedsItsMinutesAndItsActions()
    {
        var withoutActions = Errors(r => r.EscalateAfterMinutes = 30);
        var withoutMinutes = Errors(r => r.EscalationActions.Add(Log("escalation.log")));

        Assert.Equal(
            "Add at least one escalation action: what runs when the incident is still open and unacknowledged after that many minutes.",
            Assert.Single(withoutActions, e => e.Key == RuleValidation.EscalationActions).Value);
        Assert.Equal("Enter after how many minutes the escalation actions run, or remove them.", Assert.Single(withoutMinutes).Value);
        Assert.Equal(RuleValidation.EscalateAfterMinutes, Assert.Single(withoutMinutes).Key);
    }

    [Fact]
    public void EscalationActions_AreCheckedLikeActions_UnderTheirOwnKeys()
    {
        var errors = Errors(r =>
        {
            r.EscalateAfterMinutes = 30;
            r.EscalationActions.Add(Log("escalation.log"));
            r.EscalationActions.Add(RuleAction.Create(ActionKind.CallWebhook));
        });

        Assert.StartsWith("Enter the address to call", errors["Escalation action 2: URL"], StringComparison.Ordinal);
        Assert.StartsWith("Generate a signing secret", errors["Escalation action 2: Signing Secret"], StringComparison.Ordinal);
        Assert.DoesNotContain(errors.Keys, key => key.StartsWith("Action ", StringComparison.Ordinal));
    }

    [Fact]
    public void MoreThanTwentyEscalationActions_AreRefused()
    {
        var errors = Errors(r =>
        {
            r.EscalateAfterMinutes = 30;
            r.EscalationActions.AddRange(Enumerable.Range(0, 21).Select(i => Log($"e{i}.log")));
        });

        Assert.Equal("Use at most 20 escalation actions in one rule.", errors[RuleValidation.EscalationActions]);
    }

    [Fact]
    public void ARecoveredRule_KeepsFireAfterN_ButNoOtherOption()
    {
        var errors = Errors(r =>
        {
            r.EventType = ImapEventType.Recovered;
            r.FireAfterFailures = 3;
            r.Notify = NotifyMode.OncePerIncident;
            r.NotifyOnRecovery = true;
            r.GroupByServer = true;
            r.EscalateAfterMinutes = 30;
            r.EscalationActions.Add(Log("escalation.log"));
        });

        Assert.DoesNotContain(RuleValidation.FireAfterFailures, errors.Keys);
        Assert.Equal("Does not apply to IMAP Recovered rules: use On every matching event.", errors[RuleValidation.Notify]);
        Assert.Equal("Does not apply to IMAP Recovered rules: only a failure's incident can recover. Turn it off.", errors[RuleValidation.NotifyOnRecovery]);
        Assert.Equal("Does not apply to IMAP Recovered rules: only failures are grouped by server. Turn it off.", errors[RuleValidation.GroupByServer]);
        Assert.StartsWith("Does not apply to IMAP Recovered rules: only an open incident escalates.", errors[RuleValidation.EscalateAfterMinutes], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ImapEventType.CertificateExpiring)]
    [InlineData(ImapEventType.MailboxStale)]
    public void RulesOnEventsOfNoIncident_TakeNoIncidentOption(ImapEventType type)
    {
        Assert.Empty(Errors(r => r.EventType = type));

        var errors = Errors(r =>
        {
            r.EventType = type;
            r.FireAfterFailures = 2;
            r.EscalationActions.Add(Log("escalation.log"));
        });

        Assert.Equal($"Does not apply to {type.DisplayName()} rules: these events are not failed checks. Use 1.", errors[RuleValidation.FireAfterFailures]);
        Assert.StartsWith($"Does not apply to {type.DisplayName()} rules", errors[RuleValidation.EscalationActions], StringComparison.Ordinal);
    }

    [Fact]
    public void WhichOptionsAnEventTypeShows_AndWhy()
    {
        Assert.All(Enum.GetValues<ImapEventType>().Where(t => t.IsFailure()), type =>
        {
            Assert.True(type.HasFailureCount());
            Assert.True(type.HasIncidentOptions());
            Assert.Null(type.Limits());
        });
        Assert.True(ImapEventType.Recovered.HasFailureCount());
        Assert.False(ImapEventType.Recovered.HasIncidentOptions());
        Assert.Contains("at least N failed checks", ImapEventType.Recovered.Limits(), StringComparison.Ordinal);
        foreach (var type in new[] { ImapEventType.CertificateExpiring, ImapEventType.MailboxStale })
        {
            Assert.False(type.HasFailureCount());
            Assert.Contains("belongs to no incident", type.Limits(), StringComparison.Ordinal);
        }
    }
}
