using System.Text.RegularExpressions;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Tests.TestSupport;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImapEvents.Tests.Browser;

/// <summary>
/// The app on a real port with sessions checked every two seconds (Identity:SessionCheckInterval),
/// so a revoked session can be watched ending in a browser. A database and host of its own: the
/// shared browser app keeps the one-minute default.
/// </summary>
public sealed class SessionCheckApp : IAsyncLifetime
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(2);

    private readonly TestDatabase database = new();

    public ImapEventsApp App { get; private set; } = default!;

    public string BaseUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        App = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin(new Dictionary<string, string?>
        {
            ["Identity:SessionCheckInterval"] = CheckInterval.ToString(),
            ["Jobs:RunServer"] = "false",
        }));
        App.UseKestrel(0);
        App.StartServer();
        BaseUrl = App.ClientOptions.BaseAddress.ToString().TrimEnd('/');
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await database.DisposeAsync();
    }
}

/// <summary>
/// Two browsers at once: what one administrator does to another's account (or what a user does in one
/// browser) ends the other browser's session within the session check, open page and job dashboard included.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class RevokedAccessJourneyTests(BrowserFixture browsers, SessionCheckApp server) : IClassFixture<SessionCheckApp>
{
    private const string PasswordOfA = "administrator-a-password";

    /// <summary>A round trip through a circuit can take seconds on a busy two-core machine: wait, do not fail early.</summary>
    private const float BusyMachine = 20_000;

    /// <summary>The session check, the circuit's own check after it, and room for a slow machine.</summary>
    private static readonly TimeSpan WithinTheSessionCheck = TimeSpan.FromSeconds(20);

    public enum Revocation
    {
        Demoted,
        Disabled,
        PasswordReset,
        SignedOutElsewhere,
    }

    [Theory]
    [InlineData(Revocation.Demoted)]
    [InlineData(Revocation.Disabled)]
    [InlineData(Revocation.PasswordReset)]
    [InlineData(Revocation.SignedOutElsewhere)]
    public async Task ARevokedSession_EndsItsOpenPage_AndTheJobDashboard(Revocation revocation)
    {
        var emailOfA = $"admin-a-{revocation.ToString().ToLowerInvariant()}@example.test";
        await server.App.CreateUserAsync(emailOfA, PasswordOfA, Roles.SystemAdministrator);
        var pageOfA = await SignedInPageAsync(emailOfA, PasswordOfA, "/rules");
        await Expect(pageOfA.GetByRole(AriaRole.Heading, new() { Name = "Event rules" })).ToBeVisibleAsync(new() { Timeout = BusyMachine });
        // The job dashboard is open to A before, for a page load and for its POST endpoints.
        var csrf = await JobDashboardCsrfAsync(pageOfA);
        Assert.Equal(200, (await PostStatsAsync(pageOfA, csrf)).Status);

        await RevokeAsync(revocation, emailOfA);

        // A's open page goes to sign-in by itself, with no click: the circuit's check found the session revoked.
        await Expect(pageOfA).ToHaveURLAsync(LoginUrl(), new() { Timeout = (float)WithinTheSessionCheck.TotalMilliseconds });
        await Expect(pageOfA.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(pageOfA, $"4{(int)revocation}-sent-to-sign-in-{revocation.ToString().ToLowerInvariant()}");

        // The cookie A still holds opens nothing any more.
        await pageOfA.GotoAsync("/rules");
        await Expect(pageOfA).ToHaveURLAsync(LoginUrl());
        await pageOfA.GotoAsync("/hangfire");
        await Expect(pageOfA).ToHaveURLAsync(LoginUrl());
        Assert.Equal(401, (await PostStatsAsync(pageOfA, csrf)).Status);
        var dashboardGet = await pageOfA.APIRequest.GetAsync("/hangfire", new() { MaxRedirects = 0 });
        Assert.NotEqual(200, dashboardGet.Status);
        await pageOfA.Context.CloseAsync();
    }

    private async Task RevokeAsync(Revocation revocation, string emailOfA)
    {
        if (revocation == Revocation.SignedOutElsewhere)
        {
            // A second browser of the same user signs out; the first one's session must end too.
            var otherBrowserOfA = await SignedInPageAsync(emailOfA, PasswordOfA, "/");
            await otherBrowserOfA.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await Expect(otherBrowserOfA).ToHaveURLAsync(LoginUrl());
            await otherBrowserOfA.Context.CloseAsync();
            return;
        }

        // Another administrator, in another browser, on the Users page.
        var pageOfB = await SignedInPageAsync(ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword, "/users");
        await pageOfB.GetByRole(AriaRole.Button, new() { Name = $"Actions for {emailOfA}" }).ClickAsync();
        switch (revocation)
        {
            case Revocation.Demoted:
                await pageOfB.GetByRole(AriaRole.Menuitem, new() { Name = "Change roles" }).ClickAsync();
                var roles = pageOfB.GetByRole(AriaRole.Dialog);
                await roles.GetByLabel(Roles.SystemAdministrator).UncheckAsync();
                await roles.GetByLabel(Roles.Agent).CheckAsync();
                await roles.GetByRole(AriaRole.Button, new() { Name = "Save roles" }).ClickAsync();
                await Expect(pageOfB.GetByText("Roles changed.")).ToBeVisibleAsync(new() { Timeout = BusyMachine });
                break;
            case Revocation.Disabled:
                await pageOfB.GetByRole(AriaRole.Menuitem, new() { Name = "Disable" }).ClickAsync();
                await Expect(pageOfB.GetByText($"{emailOfA} is disabled.")).ToBeVisibleAsync(new() { Timeout = BusyMachine });
                break;
            case Revocation.PasswordReset:
                await pageOfB.GetByRole(AriaRole.Menuitem, new() { Name = "Reset password" }).ClickAsync();
                var reset = pageOfB.GetByRole(AriaRole.Dialog);
                await Expect(reset.GetByLabel("New password")).ToBeFocusedAsync(new() { Timeout = BusyMachine });
                await reset.GetByLabel("New password").FillAsync("a-brand-new-password");
                await reset.GetByRole(AriaRole.Button, new() { Name = "Reset password" }).ClickAsync();
                await Expect(pageOfB.GetByText("Password reset.")).ToBeVisibleAsync(new() { Timeout = BusyMachine });
                break;
            case Revocation.SignedOutElsewhere:
                throw new InvalidOperationException("Handled above.");
        }

        await pageOfB.Context.CloseAsync();
    }

    /// <summary>A browser of its own (its own cookies), signed in through the sign-in form, on a page ready for clicks.</summary>
    private async Task<IPage> SignedInPageAsync(string email, string password, string path)
    {
        var context = await browsers.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, ViewportSize = new() { Width = 1280, Height = 800 } });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync(path);
        await BrowserFixture.SignInAsync(page, email, password);
        await Expect(page).Not.ToHaveURLAsync(LoginUrl());
        await BrowserFixture.WaitForInteractivityAsync(page);
        return page;
    }

    private sealed record Csrf(string Header, string Token);

    /// <summary>The antiforgery header and token the job dashboard's own scripts send with their POSTs.</summary>
    private static async Task<Csrf> JobDashboardCsrfAsync(IPage page)
    {
        var dashboard = await page.Context.NewPageAsync();
        var response = await dashboard.GotoAsync("/hangfire");
        Assert.Equal(200, response!.Status);
        var header = await dashboard.Locator("meta[name=csrf-header]").GetAttributeAsync("content");
        var token = await dashboard.Locator("meta[name=csrf-token]").GetAttributeAsync("content");
        await dashboard.CloseAsync();
        return new Csrf(header!, token!);
    }

    /// <summary>The POST the dashboard polls its figures with.</summary>
    private static Task<IAPIResponse> PostStatsAsync(IPage page, Csrf csrf) =>
        page.APIRequest.PostAsync("/hangfire/stats", new()
        {
            Headers = new Dictionary<string, string> { [csrf.Header] = csrf.Token },
            Form = page.APIRequest.CreateFormData().Append("metrics[]", "enqueued:count"),
            MaxRedirects = 0,
        });

    [GeneratedRegex("/Account/Login")]
    private static partial Regex LoginUrl();
}
