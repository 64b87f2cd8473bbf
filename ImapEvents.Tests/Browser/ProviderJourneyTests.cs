using ImapEvents.Tests.TestSupport;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImapEvents.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class ProviderJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Administrator_RegistersAnExternalProvider_AndTestsIt()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var name = $"Bridge {Guid.NewGuid():N}"[..16];
        var page = await fixture.OpenAsAdministratorAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "External Providers" }).ClickAsync();
        var dialog = await BrowserFixture.OpenFormDialogAsync(page, "Add provider", "Name");
        await dialog.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await dialog.GetByLabel("Endpoint").FillAsync("alerts.example.com");
        await dialog.GetByLabel("Headers").FillAsync("X-Api-Key: key-123");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(dialog.GetByText("Enter a full http:// or https:// address")).ToBeVisibleAsync();
        await Expect(dialog.GetByText("Generate a signing secret")).ToBeVisibleAsync();
        await Expect(dialog.GetByLabel("Headers")).ToHaveValueAsync("X-Api-Key: key-123");

        await dialog.GetByLabel("Endpoint").FillAsync(receiver.Url("/imapevents"));
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Generate secret" }).ClickAsync();
        await BrowserFixture.ScreenshotAsync(page, "16-provider-dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);

        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await Expect(row.GetByRole(AriaRole.Cell, new() { Name = "X-Api-Key", Exact = true })).ToBeVisibleAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = $"Test {name}" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = $"{name} answered 200 to a test event." })).ToBeVisibleAsync();
        Assert.Equal("key-123", (await receiver.WaitForRequestAsync()).Headers["X-Api-Key"]);
        await BrowserFixture.ScreenshotAsync(page, "17-providers");
        fixture.AssertNoBrowserErrors(page);
    }
}
