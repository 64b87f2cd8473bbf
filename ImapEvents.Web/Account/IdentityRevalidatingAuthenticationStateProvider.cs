using System.Security.Claims;
using ImapEvents.Infrastructure.Identity;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace ImapEvents.Web.Account;

/// <summary>
/// Re-checks the signed-in user while a circuit is open, as often as the cookie is checked
/// (Identity:SessionCheckInterval): a changed security stamp (sign-out elsewhere, new roles, a reset
/// password), a disabled account or a lost administrator role ends the session. The circuit then has no
/// user, and the router sends the page to sign-in.
/// </summary>
internal sealed class IdentityRevalidatingAuthenticationStateProvider(
    ILoggerFactory loggerFactory,
    IServiceScopeFactory scopeFactory,
    IOptions<IdentityOptions> identityOptions,
    IOptions<SecurityStampValidatorOptions> sessionCheck)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    /// <summary>A zero interval (check the cookie on every request) would make this loop spin; a second is as good.</summary>
    private static readonly TimeSpan Shortest = TimeSpan.FromSeconds(1);

    protected override TimeSpan RevalidationInterval =>
        sessionCheck.Value.ValidationInterval < Shortest ? Shortest : sessionCheck.Value.ValidationInterval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(
        AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var userManager = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var principal = authenticationState.User;
        var user = await userManager.GetUserAsync(principal);
        if (user is null || user.IsDisabled)
        {
            return false;
        }

        var principalStamp = principal.FindFirstValue(identityOptions.Value.ClaimsIdentity.SecurityStampClaimType);
        if (principalStamp != await userManager.GetSecurityStampAsync(user))
        {
            return false;
        }

        // Every role change renews the stamp too; this holds even if a role was removed some other way.
        return !principal.IsInRole(Roles.SystemAdministrator) || await userManager.IsInRoleAsync(user, Roles.SystemAdministrator);
    }
}
