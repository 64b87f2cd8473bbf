using System.Text.RegularExpressions;
using ImapEvents.Tests.TestSupport;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImapEvents.Tests.Browser;

/// <summary>
/// What users run: <c>scripts/run.sh</c> in its default environment (Production, published output),
/// not the in-process Development host of the other journeys. Production serves static files only
/// from what publishing wrote, so a UI can work in every other test and be dead here.
/// </summary>
public sealed partial class ProductionPathJourneyTests : IAsyncLifetime
{
    private const string AdminEmail = "production-admin@example.test";
    private const string AdminPassword = "production-admin-password";

    private readonly TestDatabase database = new();
    private RunScriptApp? app;
    private IPlaywright? playwright;
    private IBrowser? browser;

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        app = await RunScriptApp.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Bootstrap__AdminEmail"] = AdminEmail,
            ["Bootstrap__AdminPassword"] = AdminPassword,
            ["Actions__LogDirectory"] = Path.Combine(Path.GetTempPath(), "imapevents-run-script-logs-" + Guid.NewGuid().ToString("N")),
        }, CancellationToken.None);
        playwright = await Playwright.CreateAsync();
        browser = await BrowserFixture.LaunchChromiumAsync(playwright);
        Directory.CreateDirectory(BrowserFixture.ScreenshotDirectory);
    }

    [Fact]
    public async Task RunScript_ServesAStyledInteractiveUi_InProduction()
    {
        // The script became the app (exec), in Production: no `dotnet run` parent, no Development shortcuts.
        Assert.Contains("ImapEvents.Web.dll", app!.CommandLine(), StringComparison.Ordinal);
        Assert.Contains("Hosting environment: Production", app.Output, StringComparison.Ordinal);

        var context = await browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseUrl, ViewportSize = new() { Width = 1280, Height = 800 } });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        var failures = BrowserFixture.WatchForErrors(page);

        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex("/Account/Login"));

        // Every stylesheet and script the page links answers 200 with its content type.
        var stylesheets = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href)");
        var scripts = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('script[src]')].map(s => s.src)");
        Assert.Contains(stylesheets, href => href.Contains("MudBlazor", StringComparison.Ordinal));
        Assert.Contains(scripts, src => src.Contains("blazor.web", StringComparison.Ordinal));
        foreach (var (url, contentType) in stylesheets.Select(s => (s, "text/css")).Concat(scripts.Select(s => (s, "javascript"))))
        {
            var response = await page.APIRequest.GetAsync(url);
            Assert.True(response.Status == 200, $"{url} answered {response.Status}");
            Assert.Contains(contentType, response.Headers["content-type"], StringComparison.Ordinal);
        }

        // The MudBlazor stylesheet is applied, not only served: the button is styled.
        var signInButton = page.GetByRole(AriaRole.Button, new() { Name = "Sign in" });
        Assert.Contains("mud-button", await signInButton.GetAttributeAsync("class") ?? "", StringComparison.Ordinal);
        await BrowserFixture.ScreenshotAsync(page, "00-production-sign-in");

        await BrowserFixture.SignInAsync(page, AdminEmail, AdminPassword);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();
        await BrowserFixture.WaitForInteractivityAsync(page);

        // Interactive: a click in the circuit opens a dialog whose fields are found by their labels.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main navigation" }).GetByRole(AriaRole.Link, new() { Name = "Mailboxes" }).ClickAsync();
        var dialog = await BrowserFixture.OpenFormDialogAsync(page, "Add mailbox", "Display name");
        await dialog.GetByLabel("Display name").FillAsync("Typed in production");
        await Expect(dialog.GetByLabel("Display name")).ToHaveValueAsync("Typed in production");
        await BrowserFixture.ScreenshotAsync(page, "00-production-mailbox-dialog");

        Assert.True(failures.IsEmpty, "The browser reported errors:\n" + string.Join("\n", failures));
        await context.DisposeAsync();
    }

    public async Task DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }

        playwright?.Dispose();
        if (app is not null)
        {
            await app.DisposeAsync();
        }

        await database.DisposeAsync();
    }
}
