using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;

namespace ImapEvents.Web.Shared;

/// <summary>Who is using this circuit; services re-check that user's rights before changing anything.</summary>
public sealed class CurrentUser(AuthenticationStateProvider authenticationStateProvider)
{
    public async Task<string> IdAsync()
    {
        var state = await authenticationStateProvider.GetAuthenticationStateAsync();
        return state.User.FindFirstValue(ClaimTypes.NameIdentifier)
            ?? throw new InvalidOperationException("No signed-in user on this circuit.");
    }

    /// <summary>The signed-in user's email (their user name), for "saved by" notes.</summary>
    public async Task<string> EmailAsync()
    {
        var state = await authenticationStateProvider.GetAuthenticationStateAsync();
        return state.User.Identity?.Name ?? throw new InvalidOperationException("No signed-in user on this circuit.");
    }
}
