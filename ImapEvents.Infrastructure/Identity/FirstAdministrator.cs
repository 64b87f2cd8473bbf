using System.Security.Cryptography;
using System.Text;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Identity;

/// <summary>
/// Creates the first administrator: from configuration when given, otherwise through a
/// single-use setup link that is written to the log. There is no default password.
/// </summary>
public sealed class FirstAdministrator(
    AppDbContext db,
    UserManager<ApplicationUser> userManager,
    RoleManager<IdentityRole> roleManager,
    IOptions<BootstrapOptions> options,
    TimeProvider time,
    ILogger<FirstAdministrator> logger)
{
    /// <summary>Ensures the roles exist and an administrator exists or can be created.</summary>
    /// <returns>A new setup token when the first administrator must be created through the setup link.</returns>
    public async Task<string?> EnsureAsync(CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockUsersAsync(cancellationToken);

        foreach (var role in Roles.All)
        {
            if (!await roleManager.RoleExistsAsync(role))
            {
                EnsureSucceeded(await roleManager.CreateAsync(new IdentityRole(role)), $"create the role {role}");
            }
        }

        if (await db.Users.AnyAsync(cancellationToken))
        {
            await transaction.CommitAsync(cancellationToken);
            return null;
        }

        var bootstrap = options.Value;
        if (!string.IsNullOrWhiteSpace(bootstrap.AdminEmail) && !string.IsNullOrEmpty(bootstrap.AdminPassword))
        {
            var created = await CreateAdministratorAsync(bootstrap.AdminEmail.Trim(), bootstrap.AdminPassword);
            if (!created.Succeeded)
            {
                // Settings the operator must change (a short password, an address Identity refuses): said as a refusal to start.
                throw new OptionsValidationException(BootstrapOptions.SectionName, typeof(BootstrapOptions), [
                    "Bootstrap__AdminEmail and Bootstrap__AdminPassword could not create the first administrator: " +
                    string.Join(" ", created.Errors.Select(e => e.Message))]);
            }

            await transaction.CommitAsync(cancellationToken);
            logger.LogInformation("Created the first administrator {Email} from configuration", bootstrap.AdminEmail);
            return null;
        }

        if (string.IsNullOrWhiteSpace(bootstrap.AdminEmail) != string.IsNullOrEmpty(bootstrap.AdminPassword))
        {
            logger.LogWarning("Only one of Bootstrap__AdminEmail and Bootstrap__AdminPassword is set; both are needed. Falling back to a setup link.");
        }

        // Expired links go; unexpired ones stay, so each instance of a cluster starting together logs a link that works.
        var now = time.GetUtcNow();
        await db.SetupTokens.Where(t => t.UsedAt == null && t.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken);
        var token = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        db.SetupTokens.Add(new SetupToken
        {
            Id = Guid.NewGuid(),
            TokenHash = Hash(token),
            CreatedAt = now,
            ExpiresAt = now + bootstrap.SetupLinkLifetime,
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return token;
    }

    public async Task<bool> IsSetupTokenUsableAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }

        var hash = Hash(token);
        var now = time.GetUtcNow();
        return await db.SetupTokens.AnyAsync(t => t.TokenHash == hash && t.UsedAt == null && t.ExpiresAt > now, cancellationToken)
            && !await db.Users.AnyAsync(cancellationToken);
    }

    /// <summary>Consumes the setup token and creates the first administrator, all or nothing.</summary>
    public async Task<OperationResult> CompleteSetupAsync(string? token, string email, string password, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockUsersAsync(cancellationToken);

        if (await db.Users.AnyAsync(cancellationToken))
        {
            return OperationResult.Fail(null, "Setup is already complete. Sign in with the administrator account instead.");
        }

        var hash = string.IsNullOrEmpty(token) ? "" : Hash(token);
        var setupToken = await db.SetupTokens.SingleOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (setupToken is null || setupToken.UsedAt is not null || setupToken.ExpiresAt <= time.GetUtcNow())
        {
            return OperationResult.Fail(null,
                "This setup link is invalid, expired or already used. Restart ImapEvents to write a new link to its log.");
        }

        var created = await CreateAdministratorAsync(email.Trim(), password);
        if (!created.Succeeded)
        {
            // The token stays unused, so the person can correct the form and try again.
            return created;
        }

        setupToken.UsedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Created the first administrator {Email} through the setup link", email);
        return OperationResult.Success;
    }

    private async Task<OperationResult> CreateAdministratorAsync(string email, string password)
    {
        var user = new ApplicationUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = time.GetUtcNow() };
        var result = await userManager.CreateAsync(user, password);
        if (!result.Succeeded)
        {
            return OperationResult.FromIdentity(result);
        }

        EnsureSucceeded(await userManager.AddToRoleAsync(user, Roles.SystemAdministrator), "grant the administrator role");
        return OperationResult.Success;
    }

    private static string Hash(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static void EnsureSucceeded(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not {what}: {string.Join(" ", result.Errors.Select(e => e.Description))}");
        }
    }
}
