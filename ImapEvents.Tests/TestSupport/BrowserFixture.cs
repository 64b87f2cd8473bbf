using ImapEvents.Infrastructure.Identity;
using ImapEvents.Tests.Infrastructure;
using Microsoft.Playwright;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// The real app on a real Kestrel port, and Debian's Chromium driven by Playwright.
/// Playwright never downloads a browser here: it launches the system one.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string AgentEmail = "browser-agent@example.test";
    public const string AgentPassword = "browser-agent-password";

    private readonly TestDatabase database = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<IPage, System.Collections.Concurrent.ConcurrentQueue<string>> errorsByPage = new();
    private IPlaywright? playwright;

    public ImapEventsApp App { get; private set; } = default!;

    public IBrowser Browser { get; private set; } = default!;

    public string BaseUrl { get; private set; } = "";

    public static string ScreenshotDirectory { get; } =
        Path.Combine(DockerComposeTests.RepositoryRoot(), "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        App = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin(new Dictionary<string, string?>
        {
            ["Actions:LogDirectory"] = Path.Combine(Path.GetTempPath(), "imapevents-browser-logs-" + Guid.NewGuid().ToString("N")),
        }));
        App.UseKestrel(0);
        App.StartServer();
        BaseUrl = App.ClientOptions.BaseAddress.ToString().TrimEnd('/');
        await App.CreateUserAsync(AgentEmail, AgentPassword, Roles.Agent);

        playwright = await Playwright.CreateAsync();
        Browser = await LaunchChromiumAsync(playwright);
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    /// <summary>Debian's Chromium, headless; Playwright never downloads a browser here.</summary>
    public static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright)
    {
        var chromium = Environment.GetEnvironmentVariable("IMAPEVENTS_TEST_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            throw new InvalidOperationException(
                $"No Chromium at {chromium}. Run the tests with scripts/test.sh (it installs Debian's chromium) or set IMAPEVENTS_TEST_CHROMIUM.");
        }

        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic",
            ],
        });
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl, ViewportSize = new() { Width = 1280, Height = 800 } });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        errorsByPage[page] = WatchForErrors(page);
        return page;
    }

    /// <summary>Collects the page's console errors and failed requests, for a journey to assert there were none.</summary>
    public static System.Collections.Concurrent.ConcurrentQueue<string> WatchForErrors(IPage page)
    {
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Enqueue($"{page.Url}: {message.Text} ({message.Location})");
            }
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                errors.Enqueue($"{response.Request.Method} {response.Url} answered {response.Status}");
            }
        };
        return errors;
    }

    /// <summary>A journey ends by asserting its page wrote no console error and had no request fail.</summary>
    public void AssertNoBrowserErrors(IPage page) =>
        Assert.True(errorsByPage[page].IsEmpty, "The browser reported errors:\n" + string.Join("\n", errorsByPage[page]));

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, $"{name}.png"), FullPage = true });

    /// <summary>Signs in through the sign-in form, finding its fields by label as a person would.</summary>
    public static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>A new page on <paramref name="path"/>, signed in as the administrator and ready for clicks.</summary>
    public async Task<IPage> OpenAsAdministratorAsync(string path)
    {
        var page = await NewPageAsync();
        await page.GotoAsync(path);
        await SignInAsync(page, ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);
        await WaitForInteractivityAsync(page);
        return page;
    }

    /// <summary>
    /// Opens a form dialog with its button and waits until its first field has the focus: the dialog
    /// focuses it once it is shown, and typing before that could land in the wrong field.
    /// </summary>
    public static async Task<ILocator> OpenFormDialogAsync(IPage page, string button, string firstField)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = button }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        var field = dialog.GetByLabel(firstField).First;
        // The round trip through the circuit can take seconds on a busy two-core machine: wait, do not fail early.
        await Assertions.Expect(field).ToBeVisibleAsync(new() { Timeout = 20_000 });
        try
        {
            await Assertions.Expect(field).ToBeFocusedAsync(new() { Timeout = 5_000 });
        }
        catch (PlaywrightException)
        {
            // Now and then (CI, an edit dialog) the dialog's own focus never arrives; focus the field as a
            // person would by clicking it. Should the dialog's focus come later, it lands on this same field.
            await field.ClickAsync();
            await Assertions.Expect(field).ToBeFocusedAsync();
        }

        return dialog;
    }

    /// <summary>
    /// Answers the confirmation the page asked with <paramref name="button"/> and waits until it has closed.
    /// The dialog grows into place (a 0.1 s animation); a click aimed while it grows can land beside the
    /// button, where it does nothing, so the click waits for the animation to end as a person's eye would.
    /// </summary>
    public static async Task ConfirmAsync(IPage page, string button)
    {
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await dialog.EvaluateAsync("d => Promise.all(d.getAnimations({ subtree: true }).map(a => a.finished))");
        await dialog.GetByRole(AriaRole.Button, new() { Name = button, Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0, new() { Timeout = 20_000 });
    }

    /// <summary>Clicks made before the Blazor circuit is connected are lost; wait for the marker the layout renders once it is.</summary>
    public static Task WaitForInteractivityAsync(IPage page) =>
        page.Locator("#circuit-ready").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
        await App.DisposeAsync();
        await database.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
