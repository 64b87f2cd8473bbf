using Bunit;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Tests.TestSupport;
using ImapEvents.Web.Features.Rules;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ImapEvents.Tests.Web;

/// <summary>A rule whose owner can no longer receive Use My Notification Profile, on the Event rules page and in its editor.</summary>
public sealed class RuleOwnerComponentTests : ServiceComponentTestBase
{
    private async Task CreateUserAsync(string id, string email, string role, bool disabled = false)
    {
        await using var scope = Context.Services.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        if (!await roles.RoleExistsAsync(role))
        {
            Assert.True((await roles.CreateAsync(new IdentityRole(role))).Succeeded);
        }

        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = new ApplicationUser { Id = id, UserName = email, Email = email, IsDisabled = disabled };
        Assert.True((await users.CreateAsync(user)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, role)).Succeeded);
    }

    private async Task<Guid> AddRuleAsync(string ownerId, string name)
    {
        var rule = new EventRule { Name = name, EventType = ImapEventType.LoginFailed, Actions = [RuleAction.Create(ActionKind.UseMyNotificationProfile)] };
        var saved = await Service<RuleAdministration>().CreateAsync(ownerId, rule, default);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Values));
        return saved.Id!.Value;
    }

    [Fact]
    public async Task ARuleWhoseOwnerIsNoLongerAnAdministrator_NeedsANewOwner_AndTheEditorTakesOwnership()
    {
        await CreateUserAsync(AdministratorId, "admin@example.test", Roles.SystemAdministrator);
        await CreateUserAsync("demoted-owner", "demoted@example.test", Roles.Agent);
        await CreateUserAsync("disabled-owner", "disabled@example.test", Roles.SystemAdministrator, disabled: true);
        var demotedRule = await AddRuleAsync("demoted-owner", "Owned by a demoted administrator");
        await AddRuleAsync("disabled-owner", "Owned by a disabled administrator");
        await AddRuleAsync(AdministratorId, "Owned by an administrator");
        var dialogs = Render<MudDialogProvider>();
        Render<MudPopoverProvider>();

        var page = Render<RulesPage>();

        await EventuallyAsync(() =>
        {
            Assert.Equal(2, page.FindAll(".mud-chip").Count(c => c.TextContent.Trim() == RuleOwnership.NeedsNewOwner));
            Assert.Contains("Owner: demoted@example.test (no longer an enabled administrator)", page.Markup, StringComparison.Ordinal);
            Assert.Contains("Owner: disabled@example.test (no longer an enabled administrator)", page.Markup, StringComparison.Ordinal);
            Assert.Contains("Owner: admin@example.test<", page.Markup, StringComparison.Ordinal);
        });

        // The click's handler waits for the editor to close, so it is awaited only once the editor saved.
        var editing = page.InvokeAsync(() => page.FindAll("a").Single(a => a.TextContent.Trim() == "Owned by a demoted administrator").ClickAsync(new MouseEventArgs()));
        await EventuallyAsync(() => Assert.True(dialogs.HasComponent<RuleEditorDialog>()));
        var editor = dialogs.FindComponent<RuleEditorDialog>();
        await EventuallyAsync(() => Assert.Contains(
            "Its owner, demoted@example.test, is no longer an enabled administrator, so Use My Notification Profile in this rule sends nothing.",
            editor.Markup, StringComparison.Ordinal));

        await ClickButtonAsync(editor, "Take ownership");

        await EventuallyAsync(() => Assert.Contains("You own this rule now", editor.Markup, StringComparison.Ordinal));
        Assert.DoesNotContain(RuleOwnership.NeedsNewOwner, editor.Markup, StringComparison.Ordinal);
        Assert.Equal(AdministratorId, (await Service<RuleAdministration>().GetAsync(demotedRule, default))!.OwnerId);
        Assert.Contains(await Service<RuleAdministration>().AuditTrailAsync(demotedRule, default), entry => entry.Change == RuleChange.OwnershipTaken && entry.UserId == AdministratorId);

        // The editor holds the new version: saving it afterwards is no conflict, and the list shows one rule left to fix.
        await ClickButtonAsync(editor, "Save");
        await editing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(dialogs.HasComponent<RuleEditorDialog>());
        await EventuallyAsync(() => Assert.Single(page.FindAll(".mud-chip"), c => c.TextContent.Trim() == RuleOwnership.NeedsNewOwner));
    }
}
