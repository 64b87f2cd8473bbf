using ImapEvents.Core.Email;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Email;
using ImapEvents.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using netDumbster.smtp;
using static Microsoft.Playwright.Assertions;

namespace ImapEvents.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class ProfileJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Administrator_FillsInTheirNotificationProfile_AndTestsIt()
    {
        using var smtp = SimpleSmtpServer.Start();
        var saved = await fixture.App.Services.GetRequiredService<SmtpSettingsStore>().SaveAsync(
            ImapEventsApp.AdminEmail,
            new SmtpSettings { Host = "127.0.0.1", Port = smtp.Configuration.Port, Security = ConnectionSecurity.None, FromAddress = "imapevents@example.com" },
            null,
            default);
        Assert.True(saved.Succeeded);
        var page = await fixture.OpenAsAdministratorAsync("/");

        await page.GetByRole(AriaRole.Link, new() { Name = "My Notification Profile" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "My Notification Profile" })).ToBeVisibleAsync();
        await page.GetByLabel("Email Addresses").FillAsync("me@example.com, not-an-address");
        await page.GetByLabel("SMS Addresses").FillAsync("5551234567@sms.example.net");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByText("\"not-an-address\" is not an email address")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("SMS Addresses")).ToHaveValueAsync("5551234567@sms.example.net");

        await page.GetByLabel("Email Addresses").FillAsync("me@example.com");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByText("Notification profile saved.")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Send test notification" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "accepted the test notification" })).ToBeVisibleAsync();
        Assert.Equal(
            ["5551234567@sms.example.net", "me@example.com"],
            smtp.ReceivedEmail.SelectMany(m => m.ToAddresses).Select(a => a.Address).Order(StringComparer.Ordinal));
        await BrowserFixture.ScreenshotAsync(page, "15-notification-profile");
        fixture.AssertNoBrowserErrors(page);
    }
}
