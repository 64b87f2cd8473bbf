using ImapEvents.Infrastructure.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace ImapEvents.Web.Account;

internal static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Binding a form field makes ASP.NET Core validate the antiforgery token, so another site
        // cannot sign an administrator out.
        endpoints.MapPost("/Account/Logout", async (HttpContext context, [FromServices] SignInManager<ApplicationUser> signInManager, [FromForm(Name = "__RequestVerificationToken")] string? token) =>
            {
                // Signing out ends every session of the user, not only this browser's: a new security stamp
                // makes the cookies of other browsers (and their open pages) fail their next session check.
                // Only a cookie whose stamp is current may do it, so an old copy cannot sign anyone out.
                if (await signInManager.ValidateSecurityStampAsync(context.User) is { } user)
                {
                    await signInManager.UserManager.UpdateSecurityStampAsync(user);
                }

                await signInManager.SignOutAsync();
                return TypedResults.LocalRedirect("~/Account/Login");
            })
            .AllowAnonymous();

        return endpoints;
    }
}
