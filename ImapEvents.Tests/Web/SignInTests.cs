using System.Net;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.Web;

public sealed class SignInTests(AppFixture fixture) : IClassFixture<AppFixture>
{
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
}
