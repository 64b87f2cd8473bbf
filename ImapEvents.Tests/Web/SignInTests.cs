using System.Net;
using System.Text.RegularExpressions;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Tests.TestSupport;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImapEvents.Tests.Web;

public sealed partial class SignInTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private const string WrongPasswordAnswer = "The email or password is wrong";

    [Fact]
    public async Task FiveWrongPasswords_LockTheAccount_EvenAgainstTheRightPassword()
    {
        const string email = "lockme@example.test";
        const string password = "the-right-password";
        await fixture.App.CreateUserAsync(email, password, Roles.Agent);
        var client = fixture.App.CreateBrowserLikeClient();

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            var wrong = await client.SignInAsync(email, $"wrong-password-{attempt}");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("The email or password is wrong", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var fifth = await client.SignInAsync(email, "wrong-password-5");
        var rightButLocked = await client.SignInAsync(email, password);

        Assert.Equal("/Account/Lockout", fifth.RedirectPath());
        Assert.Equal("/Account/Lockout", rightButLocked.RedirectPath());
        var lockoutPage = await client.GetPageAsync("/Account/Lockout");
        Assert.Contains("locked out", lockoutPage.Body!.TextContent, StringComparison.Ordinal);
        Assert.NotNull((await fixture.App.FindUserAsync(email)).LockoutEnd);
    }

    [Fact]
    public async Task PasswordReset_ByAnAdministrator_LetsALockedOutUserBackIn()
    {
        const string email = "locked-then-reset@example.test";
        await fixture.App.CreateUserAsync(email, "original-password", Roles.Agent);
        var client = fixture.App.CreateBrowserLikeClient();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await client.SignInAsync(email, "wrong-password");
        }

        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var user = await fixture.App.FindUserAsync(email);
            var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);
            var reset = await scope.ServiceProvider.GetRequiredService<UserAdministration>()
                .ResetPasswordAsync(admin.Id, user.Id, "brand-new-password", CancellationToken.None);
            Assert.True(reset.Succeeded);
        }

        await fixture.App.SignedInClientAsync(email, "brand-new-password");
    }

    [Fact]
    public async Task WrongInput_IsExplainedNextToTheField_AndTheEmailIsKept()
    {
        var client = fixture.App.CreateBrowserLikeClient();

        var response = await client.SignInAsync("not-an-email", "");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Enter a valid email address", html, StringComparison.Ordinal);
        Assert.Contains("Enter your password.", html, StringComparison.Ordinal);
        Assert.Contains("value=\"not-an-email\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_ReturnsToTheRequestedPage_ButNeverToAnotherSite()
    {
        var client = fixture.App.CreateBrowserLikeClient();
        var fields = new Dictionary<string, string> { ["Email"] = ImapEventsApp.AdminEmail, ["Password"] = ImapEventsApp.AdminPassword };

        var local = await client.SubmitFormAsync("/Account/Login?ReturnUrl=%2Fusers", fields);
        var foreign = await fixture.App.CreateBrowserLikeClient().SubmitFormAsync("/Account/Login?ReturnUrl=https%3A%2F%2Fevil.example%2F", fields);

        Assert.Equal("/users", local.RedirectPath());
        Assert.Equal("/", foreign.RedirectPath());
        Assert.DoesNotContain("evil.example", foreign.Headers.Location?.OriginalString ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThereIsNoSelfRegistration()
    {
        var client = fixture.App.CreateBrowserLikeClient();

        var register = await client.GetAsync("/Account/Register");
        var login = await client.GetPageAsync("/Account/Login");

        Assert.NotEqual(HttpStatusCode.OK, register.StatusCode);
        Assert.DoesNotContain("Register", login.Body!.TextContent, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ADisabledAccount_AnswersAsAWrongPasswordDoes_AndEveryTryCountsTowardLockout()
    {
        const string email = "disabled-and-guessed@example.test";
        const string password = "the-disabled-password";
        await fixture.App.CreateUserAsync(email, password, Roles.Agent);
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);
            var user = await fixture.App.FindUserAsync(email);
            Assert.True((await scope.ServiceProvider.GetRequiredService<UserAdministration>().SetDisabledAsync(admin.Id, user.Id, true, default)).Succeeded);
        }

        var client = fixture.App.CreateBrowserLikeClient();

        var rightPassword = await (await client.SignInAsync(email, password)).Content.ReadAsStringAsync();
        var wrongPassword = await (await client.SignInAsync(email, "a-guessed-password")).Content.ReadAsStringAsync();

        // Nothing tells the right password from a wrong one, and both count.
        Assert.Contains(WrongPasswordAnswer, rightPassword, StringComparison.Ordinal);
        Assert.Contains(WrongPasswordAnswer, wrongPassword, StringComparison.Ordinal);
        Assert.DoesNotContain("This account is disabled", rightPassword, StringComparison.Ordinal);
        Assert.Equal(2, (await fixture.App.FindUserAsync(email)).AccessFailedCount);
        await client.SignInAsync(email, "guess-3");
        await client.SignInAsync(email, "guess-4");
        var fifth = await client.SignInAsync(email, "guess-5");
        Assert.Equal("/Account/Lockout", fifth.RedirectPath());
        Assert.NotNull((await fixture.App.FindUserAsync(email)).LockoutEnd);
    }

    [Fact]
    public async Task FortyParallelWrongPasswords_CheckNoMorePasswordsThanTheLockoutAllows_AndARightPasswordAmongThemFails()
    {
        const string email = "burst@example.test";
        const string password = "the-burst-password";
        var hasher = new CountingPasswordHasher();
        await using var app = new ImapEventsApp(fixture.ConnectionString, ImapEventsApp.WithBootstrapAdmin(NoJobServer)) { TestServices = hasher.Replace };
        await app.CreateUserAsync(email, password, Roles.SystemAdministrator);
        var threshold = app.Services.GetRequiredService<IOptions<IdentityOptions>>().Value.Lockout.MaxFailedAccessAttempts;

        var wrong = Enumerable.Range(1, 40).Select(i => app.CreateBrowserLikeClient().SignInAsync(email, $"wrong-password-{i}")).ToList();
        await Eventually.TrueAsync(() => hasher.Verifications >= threshold, "The burst never reached the lockout threshold.", TimeSpan.FromSeconds(60));
        var right = await app.CreateBrowserLikeClient().SignInAsync(email, password);
        var answers = await Task.WhenAll(wrong);

        Assert.Equal(threshold, hasher.Verifications);
        Assert.Equal("/Account/Lockout", right.RedirectPath());
        Assert.Equal(threshold - 1, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.OK), a => Assert.Equal("/Account/Lockout", a.RedirectPath()));
        Assert.NotNull((await app.FindUserAsync(email)).LockoutEnd);
    }

    [Fact]
    public async Task AnUnknownAccount_GetsAPasswordCheck_AsAKnownOneDoes()
    {
        const string email = "known-for-timing@example.test";
        var hasher = new CountingPasswordHasher();
        await using var app = new ImapEventsApp(fixture.ConnectionString, ImapEventsApp.WithBootstrapAdmin(NoJobServer)) { TestServices = hasher.Replace };
        await app.CreateUserAsync(email, "known-password-123", Roles.Agent);
        var client = app.CreateBrowserLikeClient();

        var known = await client.SignInAsync(email, "wrong-password");
        var checksForKnown = hasher.Verifications;
        var unknown = await client.SignInAsync("nobody-by-this-name@example.test", "wrong-password");
        var checksForUnknown = hasher.Verifications - checksForKnown;

        // The same hashing work, so the time to answer does not tell which accounts exist; and the same answer.
        Assert.Equal(1, checksForKnown);
        Assert.Equal(1, checksForUnknown);
        Assert.Contains(WrongPasswordAnswer, await known.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(WrongPasswordAnswer, await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TooManyAttemptsOnOneAccount_AreRefused_WithAMessageThatSaysWhenToTryAgain()
    {
        const string email = "throttled-account@example.test";
        const string password = "throttled-password";
        await using var app = new ImapEventsApp(fixture.ConnectionString, ImapEventsApp.WithBootstrapAdmin(new Dictionary<string, string?>(NoJobServer)
        {
            ["Identity:SignInAttemptsPerAccount"] = "3",
        }));
        await app.CreateUserAsync(email, password, Roles.SystemAdministrator);
        var client = app.CreateBrowserLikeClient();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            Assert.Contains(WrongPasswordAnswer, await (await client.SignInAsync(email, $"wrong-{attempt}")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The same account however it is written: the right password is not even checked now.
        var refused = await client.SignInAsync("  THROTTLED-account@example.test ", password);
        var otherAccount = await client.SignInAsync("another-account@example.test", "wrong-password");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Matches(TooManyAttempts(), await refused.Content.ReadAsStringAsync());
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Null(refused.Headers.Location);
        Assert.Equal(3, (await app.FindUserAsync(email)).AccessFailedCount);
        Assert.Contains(WrongPasswordAnswer, await otherAccount.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TooManyAttemptsFromOneClient_AreRefused_WhicheverAccountsTheyTry()
    {
        await using var app = new ImapEventsApp(fixture.ConnectionString, ImapEventsApp.WithBootstrapAdmin(new Dictionary<string, string?>(NoJobServer)
        {
            ["Identity:SignInAttemptsPerClient"] = "3",
        }));
        var client = app.CreateBrowserLikeClient();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.SignInAsync($"sprayed-{attempt}@example.test", "spring-2026-password")).StatusCode);
        }

        var refused = await client.SignInAsync(ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Matches(TooManyAttempts(), await refused.Content.ReadAsStringAsync());
    }

    private static readonly IReadOnlyDictionary<string, string?> NoJobServer = new Dictionary<string, string?> { ["Jobs:RunServer"] = "false" };

    [GeneratedRegex(@"Too many sign-in attempts\. Try again in \d+ seconds?\.")]
    private static partial Regex TooManyAttempts();
}
