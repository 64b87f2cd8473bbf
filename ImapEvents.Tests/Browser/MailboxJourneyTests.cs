using System.Globalization;
using System.Text.RegularExpressions;
using ImapEvents.Tests.TestSupport;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImapEvents.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class MailboxJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Administrator_AddsAMailbox_TestsTheConnection_AndChecksIt()
    {
        var dovecot = await DovecotServer.GetAsync();
        var (user, password) = await dovecot.CreateAccountAsync();
        await dovecot.AppendAsync(user, password, "INBOX", DovecotServer.Message("Hello from the browser test"));
        var page = await fixture.OpenAsAdministratorAsync("/mailboxes");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Mailboxes" })).ToBeVisibleAsync();

        var dialog = await BrowserFixture.OpenFormDialogAsync(page, "Add mailbox", "Display name");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(dialog.GetByText("Give the mailbox a name")).ToBeVisibleAsync();
        await Expect(dialog.GetByText("Enter the password of this account.")).ToBeVisibleAsync();

        await FillAsync(dialog, "Support (browser)", dovecot, user, password);
        await Expect(dialog.GetByText("Any certificate is accepted")).ToBeVisibleAsync();

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();

        var test = dialog.GetByRole(AriaRole.Region, new() { Name = "Connection test" });
        await Expect(test.GetByText(new Regex("^Connect: passed"))).ToBeVisibleAsync();
        await Expect(test.GetByText(new Regex("^Log in: passed"))).ToBeVisibleAsync();
        await Expect(test.GetByText(new Regex("^Download: passed.*holds 1 message"))).ToBeVisibleAsync();
        // The results sit beside the button that asked for them, not below the fold of a scrolling form.
        await Expect(test).ToBeInViewportAsync();
        await BrowserFixture.ScreenshotAsync(page, "07-mailbox-test-connection");

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);
        await Expect(page.GetByText("Mailbox added. Its first check runs now")).ToBeVisibleAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Support (browser)" });
        await Expect(row.GetByText("Untrusted certificate accepted")).ToBeVisibleAsync();

        // Saving checked it at once (the job server ran it); the page shows the new health by itself.
        await Expect(row.GetByText("OK", new() { Exact = true })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(row.GetByRole(AriaRole.Cell, new() { Name = "1", Exact = true })).ToBeVisibleAsync();

        // Check now imports what arrived since.
        await dovecot.AppendAsync(user, password, "INBOX", DovecotServer.Message("Another one from the browser test"));
        await row.GetByRole(AriaRole.Button, new() { Name = "Check now: Support (browser)" }).ClickAsync();
        await Expect(row.GetByRole(AriaRole.Cell, new() { Name = "2", Exact = true })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await BrowserFixture.ScreenshotAsync(page, "08-mailboxes");
        fixture.AssertNoBrowserErrors(page);
    }

    [Fact]
    public async Task AFailedCheck_ShowsOnTheMailboxAndOnTheEventsPage()
    {
        var dovecot = await DovecotServer.GetAsync();
        var (user, _) = await dovecot.CreateAccountAsync();
        var page = await fixture.OpenAsAdministratorAsync("/mailboxes");

        var dialog = await BrowserFixture.OpenFormDialogAsync(page, "Add mailbox", "Display name");
        await FillAsync(dialog, "Wrong password (browser)", dovecot, user, "not-the-password");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Wrong password (browser)" });

        // Saving checks it at once: the failure shows without Check now and without waiting for the interval.
        await Expect(row.GetByText("IMAP Login Failed")).ToBeVisibleAsync(new() { Timeout = 30_000 });

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main navigation" }).GetByRole(AriaRole.Link, new() { Name = "Events", Exact = true }).ClickAsync();
        var eventRow = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Wrong password (browser)" });
        await Expect(eventRow.GetByText("IMAP Login Failed")).ToBeVisibleAsync();
        await Expect(eventRow.GetByText("Credentials rejected")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "09-events");
        fixture.AssertNoBrowserErrors(page);
    }

    /// <summary>Fills the mailbox form for the test Dovecot's TLS port and its self-signed certificate.</summary>
    [Fact]
    public async Task UnsavedChanges_AreNotThrownAway_ByEscapeOrAClickOutside_WithoutAsking()
    {
        var page = await fixture.OpenAsAdministratorAsync("/mailboxes");
        var dialog = await BrowserFixture.OpenFormDialogAsync(page, "Add mailbox", "Display name");
        await dialog.GetByLabel("Display name").FillAsync("Typed, not saved");

        await page.Keyboard.PressAsync("Escape");

        var question = page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = "Discard your changes?" });
        await Expect(question).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "07a-discard-question");
        await question.GetByRole(AriaRole.Button, new() { Name = "Keep editing" }).ClickAsync();
        await Expect(question).ToHaveCountAsync(0);
        await Expect(dialog.GetByLabel("Display name")).ToHaveValueAsync("Typed, not saved");

        // A click on the backdrop, outside the dialog, asks the same.
        await page.Mouse.ClickAsync(5, 795);
        await Expect(question).ToBeVisibleAsync();
        await question.GetByRole(AriaRole.Button, new() { Name = "Discard changes" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);

        // Nothing typed, nothing to lose: Escape closes at once.
        await BrowserFixture.OpenFormDialogAsync(page, "Add mailbox", "Display name");
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);
        fixture.AssertNoBrowserErrors(page);
    }

    private static async Task FillAsync(ILocator dialog, string displayName, DovecotServer dovecot, string user, string password)
    {
        await dialog.GetByLabel("Display name").FillAsync(displayName);
        await dialog.GetByLabel("Server name").FillAsync("localhost");
        await dialog.GetByLabel("Server port").FillAsync(dovecot.TlsPort.ToString(CultureInfo.InvariantCulture));
        await dialog.GetByLabel("Accept untrusted certificate").CheckAsync();
        await dialog.GetByLabel("Login username").FillAsync(user);
        await dialog.GetByLabel("Password").FillAsync(password);
    }
}
