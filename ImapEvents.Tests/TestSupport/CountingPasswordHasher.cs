using ImapEvents.Infrastructure.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.TestSupport;

/// <summary>Identity's own password hasher (default settings), counting how many passwords it has checked against a hash.</summary>
public sealed class CountingPasswordHasher : IPasswordHasher<ApplicationUser>
{
    private readonly PasswordHasher<ApplicationUser> inner = new();
    private int verifications;

    public int Verifications => Volatile.Read(ref verifications);

    /// <summary>For <see cref="ImapEventsApp.TestServices"/>: this hasher in place of the app's.</summary>
    public void Replace(IServiceCollection services) => services.AddSingleton<IPasswordHasher<ApplicationUser>>(this);

    public string HashPassword(ApplicationUser user, string password) => inner.HashPassword(user, password);

    public PasswordVerificationResult VerifyHashedPassword(ApplicationUser user, string hashedPassword, string providedPassword)
    {
        Interlocked.Increment(ref verifications);
        return inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
    }
}
