using System.Text.RegularExpressions;
using ImapEvents.Tests.TestSupport;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImapEvents.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class RuleJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Administrator_AddsARule_SnoozesIt_AndReadsItsHistory()
    {
        var page = await fixture.OpenAsAdministratorAsync("/rules");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Event rules" })).ToBeVisibleAsync();

        var editor = await BrowserFixture.OpenFormDialogAsync(page, "Add rule", "Name");
        await Expect(editor.GetByRole(AriaRole.Status, new() { Name = "Would have fired" })).ToContainTextAsync("in the last 7 days");
        await editor.GetByLabel("Time of Day").FillAsync("22:00 to 06:00");
        await editor.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(editor.GetByText("Give the rule a name")).ToBeVisibleAsync();
        await Expect(editor.GetByText("Write the time frame as from-to")).ToBeVisibleAsync();
        await Expect(editor.GetByText("Add at least one action")).ToBeVisibleAsync();

        await editor.GetByLabel(new Regex(@"^Name\*?$")).FillAsync("Night-time login failures");
        await editor.GetByLabel("Time of Day").FillAsync("22:00-06:00");
        await editor.GetByLabel("Server Name").FillAsync("*.example.com");
        await editor.GetByLabel("Server Port").FillAsync("993");
        await editor.GetByRole(AriaRole.Button, new() { Name = "Add action" }).ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "Call Webhook" }).ClickAsync();
        var webhook = editor.GetByRole(AriaRole.Group, new() { Name = "Action 1: Call Webhook" });
        await webhook.GetByLabel("URL").FillAsync("hooks.example.com/imap");
        await webhook.GetByRole(AriaRole.Button, new() { Name = "Generate secret" }).ClickAsync();
        await Expect(webhook.GetByLabel("Signing Secret")).ToHaveValueAsync(new Regex("^whsec_"));
        await editor.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(webhook.GetByText("Enter a full http:// or https:// address")).ToBeVisibleAsync();
        await Expect(webhook.GetByLabel("URL")).ToHaveValueAsync("hooks.example.com/imap");
        await webhook.GetByLabel("URL").FillAsync("https://hooks.example.com/imap?server={ServerName}");
        await BrowserFixture.ScreenshotAsync(page, "10-rule-editor");
        await editor.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Night-time login failures" });
        await Expect(row.GetByText("22:00-06:00 · server *.example.com · port 993")).ToBeVisibleAsync();
        await Expect(row.GetByRole(AriaRole.Cell, new() { Name = "Call Webhook", Exact = true })).ToBeVisibleAsync();

        await row.GetByRole(AriaRole.Button, new() { Name = "Manage Night-time login failures" }).ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "Snooze until…" }).ClickAsync();
        var snooze = page.GetByRole(AriaRole.Dialog);
        await Expect(snooze.GetByLabel("Snooze until")).Not.ToBeEmptyAsync();
        await snooze.GetByRole(AriaRole.Button, new() { Name = "Snooze", Exact = true }).ClickAsync();
        await Expect(row.GetByText(new Regex("^Snoozed until"))).ToBeVisibleAsync();

        await row.GetByRole(AriaRole.Button, new() { Name = "Manage Night-time login failures" }).ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "History" }).ClickAsync();
        var history = page.GetByRole(AriaRole.Dialog);
        await Expect(history.GetByRole(AriaRole.Cell, new() { Name = "Created", Exact = true })).ToBeVisibleAsync();
        await Expect(history.GetByRole(AriaRole.Cell, new() { Name = "Snoozed", Exact = true })).ToBeVisibleAsync();
        await Expect(history.GetByRole(AriaRole.Cell, new() { Name = ImapEventsApp.AdminEmail }).First).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "11-rule-history");
        fixture.AssertNoBrowserErrors(page);
    }

    [Fact]
    public async Task Administrator_ImportsAFileTwice_AndTheSecondImportSkipsWhatExists()
    {
        var file = Path.Combine(Path.GetTempPath(), $"imapevents-rules-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """
            { "format": "imapevents-rules", "version": 1,
              "rules": [ { "name": "Imported twice (browser)", "eventType": "LoginFailed", "actions": [ { "kind": "LogToFile", "fileName": "imported.log" } ] } ] }
            """);
        var page = await fixture.OpenAsAdministratorAsync("/rules");

        async Task ImportAsync(string expected)
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Import rules" }).ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            var choice = dialog.GetByRole(AriaRole.Group, new() { Name = "When a rule with the same name exists" });
            await Expect(choice.GetByRole(AriaRole.Radio, new() { Name = "Skip existing rules" })).ToBeCheckedAsync();
            await Expect(choice.GetByRole(AriaRole.Radio, new() { Name = "Replace existing rules" })).Not.ToBeCheckedAsync();
            // Through the button, as a person does: by the time its click is handled, the upload is listening.
            var chooser = await page.RunAndWaitForFileChooserAsync(() => dialog.GetByRole(AriaRole.Button, new() { Name = "Choose file" }).ClickAsync());
            await chooser.SetFilesAsync(file);
            await Expect(dialog.GetByText(Path.GetFileName(file))).ToBeVisibleAsync();
            await BrowserFixture.ScreenshotAsync(page, "12-rule-import");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Import", Exact = true }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Import finished" })).ToContainTextAsync(expected);
        }

        try
        {
            await ImportAsync("1 added, 0 replaced, 0 skipped.");
            await ImportAsync("0 added, 0 replaced, 1 skipped (a rule with the same name exists).");
        }
        finally
        {
            File.Delete(file);
        }

        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Imported twice (browser)" })).ToHaveCountAsync(1);
        await BrowserFixture.ScreenshotAsync(page, "13-rule-import-result");
        fixture.AssertNoBrowserErrors(page);
    }
}
