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
        endpoints.MapPost("/Account/Logout", async ([FromServices] SignInManager<ApplicationUser> signInManager, [FromForm(Name = "__RequestVerificationToken")] string? token) =>
            {
                await signInManager.SignOutAsync();
                return TypedResults.LocalRedirect("~/Account/Login");
            })
            .AllowAnonymous();

        return endpoints;
    }
}
