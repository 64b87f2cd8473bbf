using Bunit;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Tests.TestSupport;
using ImapEvents.Web.Features.Rules;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace ImapEvents.Tests.Web;

/// <summary>The "Incidents" part of the rule editor: its options, their checks, and which of them each event type shows.</summary>
public sealed class RuleOptionsEditorComponentTests : ServiceComponentTestBase
{
    private static readonly string[] IncidentOptionLabels =
        ["Fire after N consecutive failures", "Notify", "Also notify on recovery", "Group by server", "Escalate after M minutes"];

    private static bool HasField(IRenderedComponent<RuleEditorDialog> editor, string label) =>
        editor.FindAll("label").Any(l => l.TextContent.Trim().TrimEnd('*') == label);

    private static string? HelpOf(IRenderedComponent<RuleEditorDialog> editor, string label)
    {
        var input = Input(editor, label);
        if (input.GetAttribute("aria-describedby") is { } described && editor.FindAll($"#{described}").SingleOrDefault() is { } help)
        {
            return help.TextContent.Trim();
        }

        return input.Closest(".mud-input-control")?.QuerySelector(".mud-input-helper-text")?.TextContent.Trim();
    }

    /// <summary>Chooses an item of the select with this label, as a user does: open it, click the item.</summary>
    private async Task ChooseAsync<T>(IRenderedComponent<RuleEditorDialog> editor, string label, string item)
    {
        var select = editor.FindComponents<MudSelect<T>>().Single(s => s.Instance.Label == label);
        await select.InvokeAsync(() => select.Instance.OpenMenu());
        await EventuallyAsync(() => Assert.Contains(Popovers.FindAll(".mud-list-item"), i => i.TextContent.Trim() == item));
        await Popovers.InvokeAsync(() => Popovers.FindAll(".mud-list-item").First(i => i.TextContent.Trim() == item).ClickAsync(new MouseEventArgs()));
        await EventuallyAsync(() => Assert.Equal(item, Input(editor, label).GetAttribute("value")));
    }

    private async Task AddEscalationActionAsync(IRenderedComponent<RuleEditorDialog> editor, string kind, int place = 1)
    {
        await ClickButtonAsync(editor, "Add escalation action");
        await EventuallyAsync(() => Assert.Contains(Popovers.FindAll(".mud-menu-item"), i => i.TextContent.Trim() == kind));
        await Popovers.InvokeAsync(() => Popovers.FindAll(".mud-menu-item").Single(i => i.TextContent.Trim() == kind).ClickAsync(new MouseEventArgs()));
        await EventuallyAsync(() => Assert.NotNull(editor.Find($"[role=group][aria-label='Escalation action {place}: {kind}']")));
    }

    private async Task<IRenderedComponent<RuleEditorDialog>> EditAsync(EventRule rule)
    {
        var id = (await Service<RuleAdministration>().CreateAsync(AdministratorId, rule, default)).Id!.Value;
        return await OpenDialogAsync($"Edit {rule.Name}", new DialogParameters<RuleEditorDialog> { { d => d.RuleId, id } });
    }

    private static EventRule Rule(string name, ImapEventType type, Action<EventRule>? configure = null)
    {
        var rule = new EventRule { Name = name, EventType = type };
        var log = RuleAction.Create(ActionKind.LogToFile);
        log.FileName = "options.log";
        rule.Actions.Add(log);
        configure?.Invoke(rule);
        return rule;
    }

    [Fact]
    public async Task TheIncidentOptions_AreLabelledFields_WithTheDefaultsOfTheSourceFeature()
    {
        var editor = await OpenDialogAsync<RuleEditorDialog>("Add rule");

        foreach (var label in IncidentOptionLabels)
        {
            Assert.NotNull(Input(editor, label));
        }

        Assert.Equal("1", Input(editor, "Fire after N consecutive failures").GetAttribute("value"));
        Assert.Equal("On every matching event", Input(editor, "Notify").GetAttribute("value"));
        Assert.Null(Input(editor, "Also notify on recovery").GetAttribute("checked"));
        Assert.Equal("", Input(editor, "Escalate after M minutes").GetAttribute("value") ?? "");
        Assert.Contains("again when the failing stage changes", HelpOf(editor, "Notify"), StringComparison.Ordinal);
        Assert.Contains("within the grouping window (1 min)", HelpOf(editor, "Group by server"), StringComparison.Ordinal);
        Assert.Contains("IMAP Recovered event", HelpOf(editor, "Also notify on recovery"), StringComparison.Ordinal);
        Assert.StartsWith("Empty = no escalation.", HelpOf(editor, "Escalate after M minutes"), StringComparison.Ordinal);
        Assert.NotNull(editor.Find("section[aria-labelledby=rule-escalation-heading]"));
    }

    [Fact]
    public async Task OptionsOutOfRange_AreExplainedNextToTheirFields_AndKept()
    {
        var editor = await OpenDialogAsync<RuleEditorDialog>("Add rule");
        await ChangeFieldAsync(editor, "Name", "Out of range");
        await ChangeFieldAsync(editor, "Fire after N consecutive failures", "0");
        await ChangeFieldAsync(editor, "Escalate after M minutes", "20000");

        await ClickButtonAsync(editor, "Save");

        await EventuallyAsync(() =>
        {
            Assert.Equal("Enter a number of failed checks from 1 to 1000 (1 = at the first failure).", ErrorNextTo(editor, "Fire after N consecutive failures"));
            Assert.Equal("Enter minutes from 1 to 10080 (7 days), or leave it empty for no escalation.", ErrorNextTo(editor, "Escalate after M minutes"));
            Assert.Equal("0", Input(editor, "Fire after N consecutive failures").GetAttribute("value"));
            Assert.Equal("20000", Input(editor, "Escalate after M minutes").GetAttribute("value"));
            Assert.Equal("Out of range", Input(editor, "Name").GetAttribute("value"));
        });
    }

    [Fact]
    public async Task AnEscalation_NeedsItsActions_AndTheirActionsNeedTheMinutes_EachSaidWhereItBelongs()
    {
        var editor = await OpenDialogAsync<RuleEditorDialog>("Add rule");
        await ChangeFieldAsync(editor, "Escalate after M minutes", "30");
        await ClickButtonAsync(editor, "Save");

        await EventuallyAsync(() => Assert.Contains(
            editor.FindAll("section[aria-labelledby=rule-escalation-heading] [role=alert]"),
            e => e.TextContent.Trim() == "Add at least one escalation action: what runs when the incident is still open and unacknowledged after that many minutes."));

        await AddEscalationActionAsync(editor, "Send Email");
        await ChangeFieldAsync(editor, "Escalate after M minutes", "");

        await EventuallyAsync(() =>
        {
            Assert.Empty(editor.FindAll("section[aria-labelledby=rule-escalation-heading] [role=alert]"));
            Assert.Equal("Enter after how many minutes the escalation actions run, or remove them.", ErrorNextTo(editor, "Escalate after M minutes"));
            // The escalation action's own fields are checked like a main action's, keyed by their list.
            Assert.Equal("Enter at least one address, like oncall@example.com; separate several with commas.", ErrorNextTo(editor, "Recipients"));
        });
    }

    [Fact]
    public async Task EscalationActions_AreEditedLikeActions_AndSavedInTheirOrder()
    {
        var editor = await OpenDialogAsync<RuleEditorDialog>("Add rule");
        var name = $"Escalating {Guid.NewGuid():N}";
        await ChangeFieldAsync(editor, "Name", name);
        await ClickButtonAsync(editor, "Add action");
        await EventuallyAsync(() => Assert.Contains(Popovers.FindAll(".mud-menu-item"), i => i.TextContent.Trim() == "Use My Notification Profile"));
        await Popovers.InvokeAsync(() => Popovers.FindAll(".mud-menu-item").Single(i => i.TextContent.Trim() == "Use My Notification Profile").ClickAsync(new MouseEventArgs()));
        await AddEscalationActionAsync(editor, "Log to File");
        await AddEscalationActionAsync(editor, "Send Email", place: 2);
        await TypeIntoFieldAsync(editor, "File Name", "escalations.log");
        await TypeIntoFieldAsync(editor, "Recipients", "oncall@example.com");
        await ChangeFieldAsync(editor, "Escalate after M minutes", "45");

        await editor.InvokeAsync(() => editor.Find("[aria-label='Move escalation action 2 up']").ClickAsync(new MouseEventArgs()));
        await EventuallyAsync(() => Assert.NotNull(editor.Find("[role=group][aria-label='Escalation action 1: Send Email']")));
        await ClickButtonAsync(editor, "Save");

        await Eventually.TrueAsync(async () => (await Service<RuleAdministration>().ListAsync(name, default)).Count == 1, "the rule was not saved");
        var saved = (await Service<RuleAdministration>().ListAsync(name, default)).Single();
        Assert.Equal(45, saved.EscalateAfterMinutes);
        Assert.Equal([ActionKind.SendEmail, ActionKind.LogToFile], saved.EscalationActions.Select(a => a.Kind));
        Assert.Equal([ActionKind.UseMyNotificationProfile], saved.Actions.Select(a => a.Kind));
    }

    [Fact]
    public async Task ChosenOptions_AreSaved()
    {
        var editor = await OpenDialogAsync<RuleEditorDialog>("Add rule");
        var name = $"Once per incident {Guid.NewGuid():N}";
        await ChangeFieldAsync(editor, "Name", name);
        await ClickButtonAsync(editor, "Add action");
        await EventuallyAsync(() => Assert.Contains(Popovers.FindAll(".mud-menu-item"), i => i.TextContent.Trim() == "Use My Notification Profile"));
        await Popovers.InvokeAsync(() => Popovers.FindAll(".mud-menu-item").Single(i => i.TextContent.Trim() == "Use My Notification Profile").ClickAsync(new MouseEventArgs()));
        await ChangeFieldAsync(editor, "Fire after N consecutive failures", "3");
        await ChooseAsync<NotifyMode>(editor, "Notify", "Once per incident");
        await ChangeFieldAsync(editor, "Also notify on recovery", true);
        await ChangeFieldAsync(editor, "Group by server", true);

        await ClickButtonAsync(editor, "Save");

        await Eventually.TrueAsync(async () => (await Service<RuleAdministration>().ListAsync(name, default)).Count == 1, "the rule was not saved");
        var saved = (await Service<RuleAdministration>().ListAsync(name, default)).Single();
        Assert.Equal(3, saved.FireAfterFailures);
        Assert.Equal(NotifyMode.OncePerIncident, saved.Notify);
        Assert.True(saved.NotifyOnRecovery);
        Assert.True(saved.GroupByServer);
        Assert.Null(saved.EscalateAfterMinutes);
    }

    [Theory]
    [InlineData(ImapEventType.CertificateExpiring, "IMAP Certificate Expiring is a warning")]
    [InlineData(ImapEventType.MailboxStale, "IMAP Mailbox Stale is raised by a sweep")]
    public async Task ARuleOnEventsOfNoIncident_ShowsNoIncidentOption_AndSaysWhy(ImapEventType type, string why)
    {
        var editor = await EditAsync(Rule($"No incident {type}", type));

        await EventuallyAsync(() => Assert.StartsWith(why, Assert.Single(editor.FindAll("section[aria-labelledby=rule-incidents-heading] [role=note]")).TextContent.Trim(), StringComparison.Ordinal));
        Assert.All(IncidentOptionLabels, label => Assert.False(HasField(editor, label), $"{label} is shown for {type.DisplayName()}"));
        Assert.Empty(editor.FindAll("section[aria-labelledby=rule-escalation-heading]"));
    }

    [Fact]
    public async Task ARecoveredRule_KeepsFireAfterN_AsOnlyIncidentsThatLastedThatLong()
    {
        var editor = await EditAsync(Rule("Recovered after long incidents", ImapEventType.Recovered, r => r.FireAfterFailures = 5));

        await EventuallyAsync(() => Assert.True(HasField(editor, "Fire after N consecutive failures")));
        Assert.Equal("5", Input(editor, "Fire after N consecutive failures").GetAttribute("value"));
        Assert.StartsWith("Only incidents that lasted at least this many failed checks", HelpOf(editor, "Fire after N consecutive failures"), StringComparison.Ordinal);
        Assert.Contains("Fire after N keeps only incidents", editor.Find("section[aria-labelledby=rule-incidents-heading] [role=note]").TextContent, StringComparison.Ordinal);
        Assert.All(IncidentOptionLabels.Skip(1), label => Assert.False(HasField(editor, label), $"{label} is shown for IMAP Recovered"));
    }

    [Fact]
    public async Task ChoosingAnEventTypeThatHidesOptions_SetsThemAside_AndChoosingAFailureBringsThemBack()
    {
        var name = $"Switching types {Guid.NewGuid():N}";
        var editor = await EditAsync(Rule(name, ImapEventType.LoginFailed, r =>
        {
            r.FireAfterFailures = 3;
            r.Notify = NotifyMode.OncePerIncident;
            r.GroupByServer = true;
        }));

        await ChooseAsync<ImapEventType>(editor, "Event Type", "IMAP Certificate Expiring");
        await EventuallyAsync(() => Assert.False(HasField(editor, "Notify")));
        await ChooseAsync<ImapEventType>(editor, "Event Type", "IMAP Login Failed");

        await EventuallyAsync(() =>
        {
            Assert.Equal("3", Input(editor, "Fire after N consecutive failures").GetAttribute("value"));
            Assert.Equal("Once per incident", Input(editor, "Notify").GetAttribute("value"));
            Assert.NotNull(Input(editor, "Group by server").GetAttribute("checked"));
        });

        // Saved as shown: a certificate rule keeps none of the hidden options.
        await ChooseAsync<ImapEventType>(editor, "Event Type", "IMAP Certificate Expiring");
        await ClickButtonAsync(editor, "Save");
        await Eventually.TrueAsync(
            async () => (await Service<RuleAdministration>().ListAsync(name, default)).Single().EventType == ImapEventType.CertificateExpiring, "the rule was not saved");
        var saved = (await Service<RuleAdministration>().ListAsync(name, default)).Single();
        Assert.Equal(1, saved.FireAfterFailures);
        Assert.Equal(NotifyMode.EveryEvent, saved.Notify);
        Assert.False(saved.GroupByServer);
    }

    [Fact]
    public async Task WouldHaveFired_SaysHowTheOptionsCount()
    {
        var editor = await OpenDialogAsync<RuleEditorDialog>("Add rule");
        await EventuallyAsync(() => Assert.Contains("would not have fired in the last 7 days", editor.Markup, StringComparison.Ordinal));

        await ChangeFieldAsync(editor, "Fire after N consecutive failures", "0");

        await EventuallyAsync(() => Assert.Contains("Fix the fields marked in red", editor.Markup, StringComparison.Ordinal));
    }
}
