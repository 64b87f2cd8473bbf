using System.Net;
using System.Text.RegularExpressions;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.Web;

public sealed partial class FirstAdministratorTests : IAsyncLifetime
{
    private readonly TestDatabase database = new();

    public Task InitializeAsync() => database.InitializeAsync();

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task Bootstrap_FromConfiguration_CreatesOneAdministrator_AndRestartsLeaveItAlone()
    {
        await using (var app = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin()))
        {
            await app.SignedInClientAsync(ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);
            Assert.DoesNotContain(app.Logs.Lines, line => line.Contains("/Account/Setup", StringComparison.Ordinal));
        }

        // A second start with the same configuration must neither duplicate nor reset the administrator.
        await using (var app = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin()))
        {
            await using var scope = app.Services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
            var admins = await users.GetUsersInRoleAsync(Roles.SystemAdministrator);
            Assert.Equal(ImapEventsApp.AdminEmail, Assert.Single(admins).Email);
        }
    }

    // A password the policy refuses stops the start in one sentence: SettingsAtStartTests.AFirstAdministratorThatCannotBeCreated_…
    // (the app's own process, where the exit code and the absence of a stack trace can be seen).

    [Fact]
    public async Task WithoutBootstrap_TheLoggedSetupLinkCreatesTheAdministrator_ExactlyOnce()
    {
        await using var app = new ImapEventsApp(database.ConnectionString);
        var client = app.CreateBrowserLikeClient();
        _ = app.Services; // starts the app, which logs the link once it listens

        var link = await WaitForSetupLinkAsync(app);
        var fields = new Dictionary<string, string>
        {
            ["Email"] = "first@example.test",
            ["Password"] = "first-admin-password",
            ["Confirm password"] = "first-admin-password",
        };

        var created = await client.SubmitFormAsync(link, fields);

        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/users")).StatusCode);

        // The same link again: refused, and no second administrator.
        var again = app.CreateBrowserLikeClient();
        var page = await again.GetPageAsync(link);
        Assert.Contains("invalid, expired or already used", page.Body!.TextContent, StringComparison.Ordinal);
        Assert.Empty(page.QuerySelectorAll("form"));

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        Assert.Equal(1, await db.Users.CountAsync());
        var firstAdministrator = scope.ServiceProvider.GetRequiredService<FirstAdministrator>();
        var token = link[(link.IndexOf("token=", StringComparison.Ordinal) + 6)..];
        var replay = await firstAdministrator.CompleteSetupAsync(token, "second@example.test", "second-admin-password", CancellationToken.None);
        Assert.False(replay.Succeeded);
        Assert.Equal(1, await db.Users.CountAsync());
    }

    [Fact]
    public async Task SetupLink_KeepsWhatWasTyped_AndStaysUsable_WhenThePasswordIsRefused()
    {
        await using var app = new ImapEventsApp(database.ConnectionString);
        var client = app.CreateBrowserLikeClient();
        _ = app.Services;
        var link = await WaitForSetupLinkAsync(app);

        var refused = await client.SubmitFormAsync(link, new Dictionary<string, string>
        {
            ["Email"] = "first@example.test",
            ["Password"] = "too-short",
            ["Confirm password"] = "too-short",
        });

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        var html = await refused.Content.ReadAsStringAsync();
        Assert.Contains("Use at least 12 characters.", html, StringComparison.Ordinal);
        Assert.Contains("value=\"first@example.test\"", html, StringComparison.Ordinal);

        var created = await client.SubmitFormAsync(link, new Dictionary<string, string>
        {
            ["Email"] = "first@example.test",
            ["Password"] = "long-enough-password",
            ["Confirm password"] = "long-enough-password",
        });
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
    }

    [Fact]
    public async Task SetupLink_WithAWrongToken_ShowsNoForm()
    {
        await using var app = new ImapEventsApp(database.ConnectionString);
        var client = app.CreateBrowserLikeClient();

        var page = await client.GetPageAsync("/Account/Setup?token=not-the-token");

        Assert.Contains("invalid, expired or already used", page.Body!.TextContent, StringComparison.Ordinal);
        Assert.Empty(page.QuerySelectorAll("form"));
    }

    private static async Task<string> WaitForSetupLinkAsync(ImapEventsApp app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var match = app.Logs.Lines.Select(line => SetupLink().Match(line)).FirstOrDefault(m => m.Success);
            if (match is not null)
            {
                return match.Groups["path"].Value;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("The app logged no setup link. Logs:\n" + string.Join("\n", app.Logs.Lines));
    }

    [GeneratedRegex(@"https?://[^/\s]+(?<path>/Account/Setup\?token=[A-Za-z0-9_-]+)")]
    private static partial Regex SetupLink();
}
