using System.Text.RegularExpressions;
using ImapEvents.Tests.TestSupport;
using Microsoft.Playwright;
using netDumbster.smtp;
using static Microsoft.Playwright.Assertions;

namespace ImapEvents.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class SettingsJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Administrator_SetsUpTheSmtpServer_AndSendsATestEmail()
    {
        using var smtp = SimpleSmtpServer.Start();
        var page = await fixture.OpenAsAdministratorAsync("/settings");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Settings", Exact = true })).ToBeVisibleAsync();

        await page.GetByLabel("SMTP Server").FillAsync("127.0.0.1");
        await page.GetByLabel("SMTP Port").FillAsync(smtp.Configuration.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByLabel("Connection Security").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "None" }).ClickAsync();
        await page.GetByLabel("From Address").FillAsync("imapevents at example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByText("\"imapevents at example\" is not an email address")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("SMTP Server")).ToHaveValueAsync("127.0.0.1");

        await page.GetByLabel("From Address").FillAsync("imapevents@example.com");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByText(new Regex($"^Last saved by {Regex.Escape(ImapEventsApp.AdminEmail)}"))).ToBeVisibleAsync();

        await Expect(page.GetByLabel("Test recipient")).ToHaveValueAsync(ImapEventsApp.AdminEmail);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send test email" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "accepted the test email" })).ToBeVisibleAsync();
        Assert.Equal(ImapEventsApp.AdminEmail, Assert.Single(smtp.ReceivedEmail).ToAddresses.Single().Address);
        await BrowserFixture.ScreenshotAsync(page, "14-settings-smtp");
        fixture.AssertNoBrowserErrors(page);
    }
}
