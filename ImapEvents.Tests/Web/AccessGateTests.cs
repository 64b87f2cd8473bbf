using System.Net;
using System.Reflection;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Tests.TestSupport;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;

namespace ImapEvents.Tests.Web;

public sealed class AccessGateTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private const string JobDashboard = "/hangfire";

    /// <summary>The pages anyone may open: signing in and what surrounds it.</summary>
    private static readonly string[] AnonymousPages =
        ["/Account/AccessDenied", "/Account/Lockout", "/Account/Login", "/Account/Setup", "/Error", "/not-found"];

    /// <summary>Every other routable page of the app, found by reflection so a new page cannot slip through.</summary>
    public static TheoryData<string> AdminPages() => new(AdminRoutes());

    private static List<string> AdminRoutes()
    {
        var pages = new List<string>();
        foreach (var route in typeof(Program).Assembly.GetTypes()
                     .Where(t => t.GetCustomAttribute<AllowAnonymousAttribute>() is null)
                     .SelectMany(t => t.GetCustomAttributes<RouteAttribute>())
                     .Select(r => System.Text.RegularExpressions.Regex.Replace(r.Template, "{[^}]+}", "1"))
                     .Distinct()
                     .Order(StringComparer.Ordinal))
        {
            pages.Add(route);
        }

        return pages;
    }

    [Fact]
    public void OnlyTheSignInPages_AreOpenToAnonymousUsers()
    {
        var anonymous = typeof(Program).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<AllowAnonymousAttribute>() is not null)
            .SelectMany(t => t.GetCustomAttributes<RouteAttribute>())
            .Select(r => r.Template)
            .Order(StringComparer.Ordinal);

        Assert.Equal(AnonymousPages, anonymous);
        Assert.Contains("/", AdminRoutes());
        Assert.Contains("/users", AdminRoutes());
    }

    [Fact]
    public async Task TheRulesExport_IsForAdministratorsOnly()
    {
        var admin = await fixture.App.SignedInClientAsync(ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);
        var agent = await fixture.App.SignedInClientAsync(AppFixture.AgentEmail, AppFixture.AgentPassword);

        var exported = await admin.GetAsync("/rules/export");
        var denied = await agent.GetAsync("/rules/export");
        var anonymous = await fixture.App.CreateBrowserLikeClient().GetAsync("/rules/export");

        Assert.Equal(HttpStatusCode.OK, exported.StatusCode);
        Assert.Equal("application/json", exported.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"format\": \"imapevents-rules\"", await exported.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.StartsWith("/Account/AccessDenied", denied.RedirectPath(), StringComparison.Ordinal);
        Assert.StartsWith("/Account/Login", anonymous.RedirectPath(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheHealthEndpoint_IsOpen_AndSaysOnlyThatTheProcessIsAlive()
    {
        var response = await fixture.App.CreateClient().GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SignOut_WithoutTheFormsToken_IsRefused()
    {
        var client = await fixture.App.SignedInClientAsync(ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);

        var forged = await client.PostAsync("/Account/Logout", new FormUrlEncodedContent([]));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/users")).StatusCode);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/Account/Login")]
    [InlineData(JobDashboard)]
    public async Task NoPage_MayBeFramedByAnotherSite(string path)
    {
        var client = await fixture.App.SignedInClientAsync(ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
    }

    [Theory]
    [MemberData(nameof(AdminPages))]
    [InlineData(JobDashboard)]
    public async Task Anonymous_IsSentToSignIn(string path)
    {
        var client = fixture.App.CreateBrowserLikeClient();

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/Account/Login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        Assert.Contains(Uri.EscapeDataString(path), response.Headers.Location.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anonymous_NonPageRequestToJobDashboard_Gets401()
    {
        var client = fixture.App.CreateClient(new() { AllowAutoRedirect = false });

        var response = await client.GetAsync($"{JobDashboard}/stats");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(AdminPages))]
    public async Task Agent_IsDeniedEveryPage(string path)
    {
        var client = await fixture.App.SignedInClientAsync(AppFixture.AgentEmail, AppFixture.AgentPassword);

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/Account/AccessDenied", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("127.0.0.1")]
    public async Task Agent_GetsForbiddenFromJobDashboard_EvenWhenTheRequestLooksLocal(string? forwardedFor)
    {
        var client = await fixture.App.SignedInClientAsync(AppFixture.AgentEmail, AppFixture.AgentPassword);
        using var request = new HttpRequestMessage(HttpMethod.Get, JobDashboard);
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("Hangfire", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_SeesThatTheAreaIsForAdministrators()
    {
        var client = await fixture.App.SignedInClientAsync(AppFixture.AgentEmail, AppFixture.AgentPassword);

        var page = await client.GetPageAsync("/Account/AccessDenied");

        Assert.Contains("This area is for system administrators", page.Body!.TextContent, StringComparison.Ordinal);
        Assert.Contains(AppFixture.AgentEmail, page.Body.TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AdminPages))]
    [InlineData(JobDashboard)]
    public async Task Administrator_GetsEveryPage(string path)
    {
        var client = await fixture.App.SignedInClientAsync(ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Administrator_SeesTheJobDashboardWithOurTitle()
    {
        var client = await fixture.App.SignedInClientAsync(ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);

        var page = await client.GetPageAsync(JobDashboard);

        Assert.Contains("ImapEvents jobs", page.Title, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignOut_EndsTheSession()
    {
        var client = await fixture.App.SignedInClientAsync(ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);
        var home = await client.GetPageAsync("/");
        var token = home.QuerySelector("form[action='Account/Logout'] input[name=__RequestVerificationToken]")!.GetAttribute("value")!;

        var signOut = await client.PostAsync("/Account/Logout", new FormUrlEncodedContent([new("__RequestVerificationToken", token)]));
        var after = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/Account/Login", after.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }
}
