using System.Text.RegularExpressions;
using ImapEvents.Tests.Infrastructure;
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
            ["App__PublicUrl"] = "https://imapevents.example.test",
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

        // A reader in New York, whatever zone the server keeps.
        var context = await browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.BaseUrl, ViewportSize = new() { Width = 1280, Height = 800 }, TimezoneId = "America/New_York",
        });
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
        // The sign-in page named the browser's zone (a script of the site's own, under its CSP), and the pages use it.
        await Expect(page.GetByText("Times are in America/New_York.")).ToBeVisibleAsync();

        // Interactive: a click in the circuit opens a dialog whose fields are found by their labels.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main navigation" }).GetByRole(AriaRole.Link, new() { Name = "Mailboxes" }).ClickAsync();
        var dialog = await BrowserFixture.OpenFormDialogAsync(page, "Add mailbox", "Display name");
        await dialog.GetByLabel("Display name").FillAsync("Typed in production");
        await Expect(dialog.GetByLabel("Display name")).ToHaveValueAsync("Typed in production");
        await BrowserFixture.ScreenshotAsync(page, "00-production-mailbox-dialog");

        // The job dashboard works under the same Content-Security-Policy (a violation is a console error).
        await page.GotoAsync("/hangfire");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Recurring Jobs" })).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(2500); // its statistics are fetched every two seconds
        await BrowserFixture.ScreenshotAsync(page, "00-production-job-dashboard");

        Assert.True(failures.IsEmpty, "The browser reported errors:\n" + string.Join("\n", failures));
        await context.DisposeAsync();
    }

    [Fact]
    public async Task ThePublishedApp_StartedFromAnotherFolder_StillServesItsStylesheets()
    {
        // What run.sh published, started as a service unit might: `dotnet /path/ImapEvents.Web.dll` from elsewhere.
        var published = Path.Combine(DockerComposeTests.RepositoryRoot(), "artifacts", "app", "ImapEvents.Web.dll");
        var port = LoopbackTcpServer.ClosedPort();
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [published])
        {
            WorkingDirectory = Path.GetTempPath(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        start.Environment["ConnectionStrings__Default"] = database.ConnectionString;
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["DataProtection__AllowUnprotectedKeys"] = "true";
        start.Environment["Jobs__RunServer"] = "false";
        using var process = System.Diagnostics.Process.Start(start)!;
        var said = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => said.Enqueue(e.Data ?? "");
        process.ErrorDataReceived += (_, e) => said.Enqueue(e.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (!await AnswersAsync(http))
            {
                Assert.False(process.HasExited, "The app stopped:\n" + string.Join("\n", said));
                Assert.True(DateTime.UtcNow < deadline, "The app did not answer within a minute:\n" + string.Join("\n", said));
                await Task.Delay(250);
            }

            var signIn = await http.GetStringAsync("/Account/Login");
            var stylesheet = Regex.Match(signIn, "href=\"(app[^\"]*\\.css)\"").Groups[1].Value;
            Assert.NotEmpty(stylesheet);
            var css = await http.GetStringAsync("/" + stylesheet);
            Assert.Contains(".viewer-zone", css, StringComparison.Ordinal);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        static async Task<bool> AnswersAsync(HttpClient http)
        {
            try
            {
                return (await http.GetAsync("/healthz")).IsSuccessStatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }
    }

    [Fact]
    public async Task RunScript_ProtectsTheKeyRing_AndAnswersOnlyItsOwnHostNames_WithSecurityHeaders()
    {
        // run.sh made the key ring's certificate under .data/ (readable by its owner only) and the app uses it.
        var certificate = Path.Combine(DockerComposeTests.RepositoryRoot(), ".data", "key-ring-certificate.pem");
        Assert.True(File.Exists(certificate), app!.Output);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(certificate));
        }

        Assert.Contains("The key ring is protected by the certificate", app.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("No XML encryptor configured", app.Output, StringComparison.Ordinal);

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var page = await http.GetAsync($"{app.BaseUrl}/Account/Login");
        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        var policy = string.Join(" ", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Matches(new Regex("script-src 'self' 'nonce-[A-Za-z0-9+/=]+';"), policy);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", policy, StringComparison.Ordinal);
        Assert.Equal("same-origin", Assert.Single(page.Headers.GetValues("Referrer-Policy")));
        Assert.False(page.Headers.Contains("Strict-Transport-Security"), "HSTS is for HTTPS responses only.");

        // A forged Host header is refused, not reflected in the sign-in redirect.
        using var forged = new HttpRequestMessage(HttpMethod.Get, $"{app.BaseUrl}/mailboxes");
        forged.Headers.Host = "attacker.example";
        using var forgedAnswer = await http.SendAsync(forged);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, forgedAnswer.StatusCode);
        Assert.Null(forgedAnswer.Headers.Location);

        // Behind a TLS proxy at App__PublicUrl's host, the app answers that host and sends HSTS.
        using var proxied = new HttpRequestMessage(HttpMethod.Get, $"{app.BaseUrl}/Account/Login");
        proxied.Headers.Host = "imapevents.example.test";
        proxied.Headers.Add("X-Forwarded-Proto", "https");
        using var proxiedAnswer = await http.SendAsync(proxied);
        Assert.Equal(System.Net.HttpStatusCode.OK, proxiedAnswer.StatusCode);
        Assert.StartsWith("max-age=", Assert.Single(proxiedAnswer.Headers.GetValues("Strict-Transport-Security")), StringComparison.Ordinal);
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
