using Microsoft.AspNetCore.Identity;

namespace ImapEvents.Infrastructure.Identity;

public sealed class ApplicationUser : IdentityUser
{
    /// <summary>A disabled user cannot sign in, and their open sessions end at the next security-stamp check.</summary>
    public bool IsDisabled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
