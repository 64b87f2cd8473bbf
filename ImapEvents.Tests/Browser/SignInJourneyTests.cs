using System.Text.RegularExpressions;
using ImapEvents.Tests.TestSupport;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImapEvents.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed partial class SignInJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Administrator_SignsIn_SeesTheNavigation_AndOpensTheJobDashboard()
    {
        var page = await fixture.NewPageAsync();

        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(LoginUrl());
        await BrowserFixture.ScreenshotAsync(page, "01-sign-in");
        await BrowserFixture.SignInAsync(page, ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();
        await BrowserFixture.WaitForInteractivityAsync(page);
        var navigation = page.GetByRole(AriaRole.Navigation, new() { Name = "Main navigation" });
        await Expect(navigation.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true })).ToBeVisibleAsync();
        await Expect(navigation.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByText("Job servers")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "02-dashboard");

        await navigation.GetByRole(AriaRole.Link, new() { Name = "Job dashboard" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex("/hangfire/?$"));
        await Expect(page).ToHaveTitleAsync(new Regex("ImapEvents jobs"));
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Servers" }).First).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "03-job-dashboard");
        fixture.AssertNoBrowserErrors(page);
    }

    [Fact]
    public async Task Administrator_CreatesAUser_OnTheUsersPage()
    {
        var page = await fixture.OpenAsAdministratorAsync("/users");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Users" })).ToBeVisibleAsync();

        var dialog = await BrowserFixture.OpenFormDialogAsync(page, "Create user", "Email");
        await dialog.GetByLabel("Email").FillAsync("not-an-email");
        await dialog.GetByLabel("Password").FillAsync("short");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
        await Expect(dialog.GetByText("Enter a valid email address")).ToBeVisibleAsync();
        await Expect(dialog.GetByText("Use at least 12 characters.")).ToBeVisibleAsync();
        await Expect(dialog.GetByLabel("Email")).ToHaveValueAsync("not-an-email");
        await BrowserFixture.ScreenshotAsync(page, "04-create-user-errors");

        await dialog.GetByLabel("Email").FillAsync("created-in-browser@example.test");
        await dialog.GetByLabel("Password").FillAsync("created-in-browser-password");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "created-in-browser@example.test", Exact = true })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "05-users");
        fixture.AssertNoBrowserErrors(page);
    }

    [Fact]
    public async Task Agent_SignsIn_AndIsToldTheAreaIsForAdministrators()
    {
        var page = await fixture.NewPageAsync();

        await page.GotoAsync("/");
        await BrowserFixture.SignInAsync(page, BrowserFixture.AgentEmail, BrowserFixture.AgentPassword);

        await Expect(page).ToHaveURLAsync(new Regex("/Account/AccessDenied"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Access denied" })).ToBeVisibleAsync();
        await Expect(page.GetByText("This area is for system administrators.")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "06-agent-denied");

        var dashboard = await page.GotoAsync("/hangfire");
        Assert.Equal(403, dashboard!.Status);
    }


    [GeneratedRegex("/Account/Login")]
    private static partial Regex LoginUrl();
}
