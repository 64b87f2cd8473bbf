using Bunit;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Tests.TestSupport;
using ImapEvents.Web.Features.Rules;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace ImapEvents.Tests.Web;

/// <summary>Import on the Event rules page, through its dialog: the choice for existing rules, and what the page reports.</summary>
public sealed class RuleImportComponentTests : ServiceComponentTestBase
{
    private const string Choice = "When a rule with the same name exists";

    private async Task<EventRule> AddRuleAsync(string name, string serverName)
    {
        var rule = new EventRule { Name = name, EventType = ImapEventType.LoginFailed, ServerName = serverName };
        var hook = RuleAction.Create(ActionKind.CallWebhook);
        hook.Url = "https://hooks.example.com/imap";
        hook.NewSecret = WebhookSecrets.Generate();
        rule.Actions.Add(hook);
        var saved = await Service<RuleAdministration>().CreateAsync(AdministratorId, rule, default);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Values));
        return (await Service<RuleAdministration>().GetAsync(saved.Id!.Value, default))!;
    }

    /// <summary>
    /// The page with the providers its dialogs render in, and the import dialog opened from its button. The
    /// button's handler waits for the dialog to close, so it is returned to await after an import.
    /// </summary>
    private async Task<(IRenderedComponent<RulesPage> Page, IRenderedComponent<RuleImportDialog> Dialog, Task Importing)> OpenImportAsync()
    {
        var dialogs = Render<MudDialogProvider>();
        Render<MudPopoverProvider>();
        var page = Render<RulesPage>();
        var importing = ClickButtonAsync(page, "Import rules");
        await EventuallyAsync(() => Assert.True(dialogs.HasComponent<RuleImportDialog>()));
        return (page, dialogs.FindComponent<RuleImportDialog>(), importing);
    }

    /// <summary>What the page reports after an import.</summary>
    private static string ResultOn(IRenderedComponent<RulesPage> page) =>
        page.FindAll("[role=status]").SingleOrDefault(e => e.TextContent.Contains("Import finished", StringComparison.Ordinal))?.TextContent ?? "";

    private static async Task ChooseFileAsync(IRenderedComponent<RuleImportDialog> dialog, string json)
    {
        var input = dialog.FindComponent<InputFile>();
        await dialog.InvokeAsync(() => input.UploadFiles(InputFileContent.CreateFromText(json, "imapevents-rules.json", contentType: "application/json")));
        await EventuallyAsync(() => Assert.Contains("imapevents-rules.json", dialog.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheChoice_IsALabelledGroup_AndSkipIsTheDefault()
    {
        var (_, dialog, _) = await OpenImportAsync();

        var group = dialog.Find("fieldset");
        Assert.Equal(Choice, group.QuerySelector("legend")!.TextContent.Trim());
        Assert.True(Input(dialog, "Skip existing rules").HasAttribute("checked"));
        Assert.False(Input(dialog, "Replace existing rules").HasAttribute("checked"));
    }

    [Fact]
    public async Task ImportingTheExportAgain_ByDefault_SkipsEveryRule_AndSaysSo()
    {
        var rule = await AddRuleAsync("Skipped on import", "old.example.com");
        var file = await Service<RuleAdministration>().ExportAsync(default);
        var (page, dialog, importing) = await OpenImportAsync();
        await ChooseFileAsync(dialog, file);

        await ClickButtonAsync(dialog, "Import");
        await importing.WaitAsync(TimeSpan.FromSeconds(10));

        await EventuallyAsync(() => Assert.Contains("0 added, 0 replaced, 1 skipped (a rule with the same name exists).", ResultOn(page), StringComparison.Ordinal));
        Assert.Contains("Skipped: Skipped on import", ResultOn(page), StringComparison.Ordinal);
        var rules = await Service<RuleAdministration>().ListAsync(null, default);
        Assert.Equal(rule.Version, Assert.Single(rules).Version);
    }

    [Fact]
    public async Task ChoosingReplace_UpdatesTheRuleInPlace_AndTheResultSaysSo()
    {
        var rule = await AddRuleAsync("Replaced on import", "old.example.com");
        var file = (await Service<RuleAdministration>().ExportAsync(default)).Replace("old.example.com", "new.example.com", StringComparison.Ordinal);
        var (page, dialog, importing) = await OpenImportAsync();
        await ChooseFileAsync(dialog, file);

        await dialog.InvokeAsync(() => Input(dialog, "Replace existing rules").ClickAsync(new MouseEventArgs()));
        await EventuallyAsync(() => Assert.True(Input(dialog, "Replace existing rules").HasAttribute("checked")));
        await ClickButtonAsync(dialog, "Import");
        await importing.WaitAsync(TimeSpan.FromSeconds(10));

        await EventuallyAsync(() => Assert.Contains("0 added, 1 replaced, 0 skipped.", ResultOn(page), StringComparison.Ordinal));
        Assert.Contains("Replaced: Replaced on import", ResultOn(page), StringComparison.Ordinal);
        Assert.Contains("kept its signing secret", page.Markup, StringComparison.Ordinal);
        var replaced = Assert.Single(await Service<RuleAdministration>().ListAsync(null, default));
        Assert.Equal(rule.Id, replaced.Id);
        Assert.Equal("new.example.com", replaced.ServerName);
    }

    [Fact]
    public async Task AFileThatIsNotAnExport_IsExplainedInTheDialog_AndNothingIsImported()
    {
        var (_, dialog, _) = await OpenImportAsync();
        await ChooseFileAsync(dialog, """[ { "name": "Not an export" } ]""");

        await ClickButtonAsync(dialog, "Import");

        await EventuallyAsync(() => Assert.Contains(
            "The file is not a rules export: expected an object with a \"rules\" list, found a list.", dialog.Find("[role=alert]").TextContent, StringComparison.Ordinal));
        Assert.Contains("Nothing was imported", dialog.Find("[role=alert]").TextContent, StringComparison.Ordinal);
        Assert.Empty(await Service<RuleAdministration>().ListAsync(null, default));
    }
}
