using System.Net;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.Web;

public sealed class UserAdministrationTests : IAsyncLifetime
{
    private readonly TestDatabase database = new();
    private ImapEventsApp app = default!;
    private string adminId = "";

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        app = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin());
        adminId = (await app.FindUserAsync(ImapEventsApp.AdminEmail)).Id;
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task ACreatedAgent_CanSignIn_ButCannotReachAdminPages()
    {
        var created = await RunAsync(admin => admin.CreateAsync(adminId, new NewUser("new-agent@example.test", "agent-password-1", Roles.Agent), default));
        Assert.True(created.Succeeded);

        var client = await app.SignedInClientAsync("new-agent@example.test", "agent-password-1");

        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/users")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/hangfire")).StatusCode);
        var listed = Assert.Single(await RunAsync(admin => admin.ListAsync(default)), u => u.Email == "new-agent@example.test");
        Assert.Equal([Roles.Agent], listed.Roles);
    }

    [Fact]
    public async Task CreatingAUser_WithBadInput_NamesTheField()
    {
        var badEmail = await RunAsync(admin => admin.CreateAsync(adminId, new NewUser("not an email", "long-enough-password", Roles.Agent), default));
        var shortPassword = await RunAsync(admin => admin.CreateAsync(adminId, new NewUser("ok@example.test", "short", Roles.Agent), default));
        var duplicate = await RunAsync(admin => admin.CreateAsync(adminId, new NewUser(ImapEventsApp.AdminEmail, "long-enough-password", Roles.Agent), default));
        var noRole = await RunAsync(admin => admin.CreateAsync(adminId, new NewUser("ok2@example.test", "long-enough-password", "Nobody"), default));

        Assert.Contains(badEmail.Errors, e => e.Field == "Email");
        Assert.Contains(shortPassword.Errors, e => e.Field == "Password" && e.Message.Contains("12", StringComparison.Ordinal));
        Assert.Contains(duplicate.Errors, e => e.Field == "Email");
        Assert.Contains(noRole.Errors, e => e.Field == "Role");
    }

    [Fact]
    public async Task TheLastAdministrator_CannotLoseTheRole_NorBeDisabled()
    {
        var admin = await app.FindUserAsync(ImapEventsApp.AdminEmail);

        var demoted = await RunAsync(users => users.SetRolesAsync(adminId, admin.Id, [Roles.Agent], default));
        var disabled = await RunAsync(users => users.SetDisabledAsync(adminId, admin.Id, true, default));

        Assert.Equal(UserAdministration.NoAdministratorLeft, Assert.Single(demoted.Errors).Message);
        Assert.Equal(UserAdministration.NoAdministratorLeft, Assert.Single(disabled.Errors).Message);
        var stillAdmin = Assert.Single(await RunAsync(users => users.ListAsync(default)), u => u.Id == admin.Id);
        Assert.Contains(Roles.SystemAdministrator, stillAdmin.Roles);
        Assert.False(stillAdmin.IsDisabled);
        await app.SignedInClientAsync(ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);
    }

    [Fact]
    public async Task WithASecondAdministrator_TheFirstCanStepDown()
    {
        await app.CreateUserAsync("second-admin@example.test", "second-admin-password", Roles.SystemAdministrator);
        var first = await app.FindUserAsync(ImapEventsApp.AdminEmail);

        var demoted = await RunAsync(users => users.SetRolesAsync(adminId, first.Id, [Roles.Agent], default));

        Assert.True(demoted.Succeeded);
        var client = await app.SignedInClientAsync(ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/users")).StatusCode);
    }

    [Fact]
    public async Task ADisabledUser_CannotSignIn_UntilEnabledAgain()
    {
        await app.CreateUserAsync("disabled@example.test", "disabled-password", Roles.Agent);
        var user = await app.FindUserAsync("disabled@example.test");

        Assert.True((await RunAsync(users => users.SetDisabledAsync(adminId, user.Id, true, default))).Succeeded);
        var refused = await app.CreateBrowserLikeClient().SignInAsync("disabled@example.test", "disabled-password");
        var guessed = await app.CreateBrowserLikeClient().SignInAsync("disabled@example.test", "a-guessed-password");

        // The right password gets the answer a wrong one does: a different answer would confirm a guessed password.
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        var refusedPage = await refused.Content.ReadAsStringAsync();
        Assert.DoesNotContain("This account is disabled", refusedPage, StringComparison.Ordinal);
        Assert.Contains("The email or password is wrong", refusedPage, StringComparison.Ordinal);
        Assert.Contains("The email or password is wrong", await guessed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.True((await RunAsync(users => users.SetDisabledAsync(adminId, user.Id, false, default))).Succeeded);
        await app.SignedInClientAsync("disabled@example.test", "disabled-password");
    }

    [Fact]
    public async Task ADemotedAdministrator_CannotChangeUsers_FromAPageStillOpen()
    {
        await app.CreateUserAsync("second-admin@example.test", "second-admin-password", Roles.SystemAdministrator);
        var second = await app.FindUserAsync("second-admin@example.test");
        Assert.True((await RunAsync(users => users.SetRolesAsync(adminId, second.Id, [Roles.Agent], default))).Succeeded);

        var create = await RunAsync(users => users.CreateAsync(second.Id, new NewUser("sneaky@example.test", "sneaky-password-1", Roles.SystemAdministrator), default));
        var promote = await RunAsync(users => users.SetRolesAsync(second.Id, second.Id, [Roles.SystemAdministrator], default));
        var reset = await RunAsync(users => users.ResetPasswordAsync(second.Id, adminId, "taken-over-password", default));

        Assert.All(new[] { create, promote, reset }, result => Assert.Equal(UserAdministration.ActorNotAdministrator, Assert.Single(result.Errors).Message));
        Assert.DoesNotContain(await RunAsync(users => users.ListAsync(default)), u => u.Email == "sneaky@example.test");
        await app.SignedInClientAsync(ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);
    }

    [Fact]
    public async Task ChangingRoles_RequiresAKnownRole()
    {
        var admin = await app.FindUserAsync(ImapEventsApp.AdminEmail);

        var none = await RunAsync(users => users.SetRolesAsync(adminId, admin.Id, [], default));
        var unknown = await RunAsync(users => users.SetRolesAsync(adminId, admin.Id, [Roles.SystemAdministrator, "Root"], default));

        Assert.Equal("Roles", Assert.Single(none.Errors).Field);
        Assert.Contains("Root", Assert.Single(unknown.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADemotedAdministrator_LosesAccess_AtTheNextSessionCheck()
    {
        // The session check runs on every request here, instead of once a minute.
        await using var checkedEveryRequest = new ImapEventsApp(database.ConnectionString,
            ImapEventsApp.WithBootstrapAdmin(new Dictionary<string, string?> { ["Identity:SessionCheckInterval"] = "00:00:00" }));
        await checkedEveryRequest.CreateUserAsync("demoted@example.test", "demoted-password-1", Roles.SystemAdministrator);
        var demoted = await checkedEveryRequest.FindUserAsync("demoted@example.test");
        var client = await checkedEveryRequest.SignedInClientAsync("demoted@example.test", "demoted-password-1");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/rules/export")).StatusCode);

        await using (var scope = checkedEveryRequest.Services.CreateAsyncScope())
        {
            var result = await scope.ServiceProvider.GetRequiredService<UserAdministration>().SetRolesAsync(adminId, demoted.Id, [Roles.Agent], default);
            Assert.True(result.Succeeded);
        }

        // The cookie from before the demotion no longer opens the export or the job dashboard.
        Assert.NotEqual(HttpStatusCode.OK, (await client.GetAsync("/rules/export")).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await client.GetAsync("/hangfire")).StatusCode);
    }

    private async Task<T> RunAsync<T>(Func<UserAdministration, Task<T>> operation)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await operation(scope.ServiceProvider.GetRequiredService<UserAdministration>());
    }
}
