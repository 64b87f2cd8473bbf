using ImapEvents.Infrastructure.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Identity;

/// <summary>
/// Identity's sign-in manager, with password sign-in made safe against guessing: one password check at a
/// time per account (on every instance), every failure counted toward lockout (a disabled account's too,
/// which answers exactly as a wrong password does), and as much hashing for an unknown account as for a known one.
/// </summary>
public sealed class ImapEventsSignInManager(
    UserManager<ApplicationUser> userManager,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<ApplicationUser> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<ApplicationUser>> logger,
    IAuthenticationSchemeProvider schemes,
    IUserConfirmation<ApplicationUser> confirmation,
    AppDbContext db,
    IPasswordHasher<ApplicationUser> passwordHasher)
    : SignInManager<ApplicationUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    /// <summary>A hash of a random password, made by the same hasher with the same settings as real ones.</summary>
    private static string? unknownAccountHash;

    public override async Task<SignInResult> PasswordSignInAsync(string userName, string password, bool isPersistent, bool lockoutOnFailure)
    {
        // Parallel attempts on one account used to read its failure count before any of them wrote it, so a
        // burst ran several times more password checks than the lockout allows, and a right password in it
        // could win after the limit. Under this lock each attempt sees the failures of those before it.
        // Not cancelled with the request: a failure must be counted even if the client hangs up.
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        await db.LockSignInAsync(NormalizedName(userName), CancellationToken.None);

        var user = await UserManager.FindByNameAsync(userName);
        SignInResult result;
        if (user is null)
        {
            // The same hash work as for a known account, so the time to answer does not tell which accounts exist.
            passwordHasher.VerifyHashedPassword(new ApplicationUser(), UnknownAccountHash(), password);
            result = SignInResult.Failed;
        }
        else
        {
            result = await PasswordSignInAsync(user, password, isPersistent, lockoutOnFailure);
        }

        await transaction.CommitAsync(CancellationToken.None);
        return result;
    }

    public override async Task<SignInResult> CheckPasswordSignInAsync(ApplicationUser user, string password, bool lockoutOnFailure)
    {
        if (!user.IsDisabled)
        {
            return await base.CheckPasswordSignInAsync(user, password, lockoutOnFailure);
        }

        // A disabled account answers exactly as a wrong password does, right password or not, and every try
        // counts toward its lockout: otherwise its password could be guessed without limit, then confirmed by
        // a different answer.
        if (UserManager.SupportsUserLockout && await UserManager.IsLockedOutAsync(user))
        {
            return SignInResult.LockedOut;
        }

        // The check's result is not used; doing it keeps the time to answer the same as for an enabled account.
        await UserManager.CheckPasswordAsync(user, password);
        if (UserManager.SupportsUserLockout && lockoutOnFailure)
        {
            await UserManager.AccessFailedAsync(user);
            if (await UserManager.IsLockedOutAsync(user))
            {
                return SignInResult.LockedOut;
            }
        }

        return SignInResult.Failed;
    }

    public override async Task<bool> CanSignInAsync(ApplicationUser user)
    {
        if (user.IsDisabled)
        {
            return false;
        }

        return await base.CanSignInAsync(user);
    }

    private string NormalizedName(string userName) => UserManager.NormalizeName(userName) ?? userName;

    private string UnknownAccountHash() =>
        unknownAccountHash ??= passwordHasher.HashPassword(new ApplicationUser(), Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));
}
