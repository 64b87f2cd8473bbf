using Microsoft.AspNetCore.Components;

namespace ImapEvents.Web.Account;

/// <summary>Redirects from the static account pages, refusing open redirects to other sites.</summary>
internal sealed class IdentityRedirectManager(NavigationManager navigationManager)
{
    public void RedirectTo(string? uri)
    {
        uri ??= "";

        // Only paths on this site: "//host" and "/\\host" are other sites to a browser.
        if (!Uri.IsWellFormedUriString(uri, UriKind.Relative)
            || uri.StartsWith("//", StringComparison.Ordinal)
            || uri.StartsWith("/\\", StringComparison.Ordinal))
        {
            uri = "";
        }

        navigationManager.NavigateTo(uri);
    }
}
