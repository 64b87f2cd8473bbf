using ImapEvents.Infrastructure.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Infrastructure.Identity;

public sealed record UserSummary(
    string Id,
    string Email,
    IReadOnlyList<string> Roles,
    bool IsDisabled,
    DateTimeOffset? LockedOutUntil,
    DateTimeOffset CreatedAt);

public sealed record NewUser(string Email, string Password, string Role);

/// <summary>
/// What the Users page does. Every change that could leave ImapEvents without an enabled
/// administrator is checked under a cluster-wide lock and refused.
/// </summary>
public sealed class UserAdministration(AppDbContext db, UserManager<ApplicationUser> userManager, TimeProvider time)
{
    public const string NoAdministratorLeft =
        "ImapEvents needs at least one enabled administrator. Make another user an administrator first.";

    public const string ActorNotAdministrator =
        "Your account is no longer an enabled administrator, so this change was not made. Sign in again.";

    public async Task<IReadOnlyList<UserSummary>> ListAsync(CancellationToken cancellationToken)
    {
        var users = await db.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(cancellationToken);
        var roles = await (
                from userRole in db.UserRoles
                join role in db.Roles on userRole.RoleId equals role.Id
                select new { userRole.UserId, role.Name })
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        var rolesByUser = roles.ToLookup(r => r.UserId, r => r.Name!);
        var now = time.GetUtcNow();

        return users
            .Select(u => new UserSummary(
                u.Id,
                u.Email ?? u.UserName ?? u.Id,
                rolesByUser[u.Id].Order(StringComparer.Ordinal).ToList(),
                u.IsDisabled,
                u.LockoutEnd > now ? u.LockoutEnd : null,
                u.CreatedAt))
            .ToList();
    }

    public async Task<OperationResult> CreateAsync(string actingUserId, NewUser input, CancellationToken cancellationToken)
    {
        if (!await IsEnabledAdministratorAsync(actingUserId, cancellationToken))
        {
            return OperationResult.Fail(null, ActorNotAdministrator);
        }

        if (!Roles.All.Contains(input.Role))
        {
            return OperationResult.Fail(nameof(NewUser.Role), "Choose a role.");
        }

        var email = input.Email.Trim();
        var user = new ApplicationUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = time.GetUtcNow() };

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var created = await userManager.CreateAsync(user, input.Password);
        if (!created.Succeeded)
        {
            return OperationResult.FromIdentity(created);
        }

        var granted = await userManager.AddToRoleAsync(user, input.Role);
        if (!granted.Succeeded)
        {
            return OperationResult.FromIdentity(granted);
        }

        await transaction.CommitAsync(cancellationToken);
        return OperationResult.Success;
    }

    public Task<OperationResult> SetDisabledAsync(string actingUserId, string userId, bool disabled, CancellationToken cancellationToken) =>
        ChangeGuardedAsync(actingUserId, userId, async user =>
        {
            user.IsDisabled = disabled;
            var updated = await userManager.UpdateAsync(user);
            // A new security stamp ends the user's open sessions at their next validation.
            return updated.Succeeded ? await userManager.UpdateSecurityStampAsync(user) : updated;
        }, cancellationToken);

    public Task<OperationResult> SetRolesAsync(string actingUserId, string userId, IReadOnlyCollection<string> roles, CancellationToken cancellationToken)
    {
        if (roles.Count == 0)
        {
            return Task.FromResult(OperationResult.Fail("Roles", "Choose at least one role."));
        }

        if (roles.FirstOrDefault(r => !Roles.All.Contains(r)) is { } unknown)
        {
            return Task.FromResult(OperationResult.Fail("Roles", $"There is no role named {unknown}."));
        }

        return ChangeGuardedAsync(actingUserId, userId, async user =>
        {
            var current = await userManager.GetRolesAsync(user);
            var removed = await userManager.RemoveFromRolesAsync(user, current.Except(roles));
            if (!removed.Succeeded)
            {
                return removed;
            }

            var added = await userManager.AddToRolesAsync(user, roles.Except(current));
            return added.Succeeded ? await userManager.UpdateSecurityStampAsync(user) : added;
        }, cancellationToken);
    }

    public async Task<OperationResult> ResetPasswordAsync(string actingUserId, string userId, string newPassword, CancellationToken cancellationToken)
    {
        if (!await IsEnabledAdministratorAsync(actingUserId, cancellationToken))
        {
            return OperationResult.Fail(null, ActorNotAdministrator);
        }

        var user = await userManager.FindByIdAsync(userId);
        if (user is null)
        {
            return OperationResult.Fail(null, "This user no longer exists.");
        }

        var token = await userManager.GeneratePasswordResetTokenAsync(user);
        var reset = await userManager.ResetPasswordAsync(user, token, newPassword);
        if (!reset.Succeeded)
        {
            return OperationResult.FromIdentity(reset, passwordField: "NewPassword");
        }

        // A password reset is how an administrator lets a locked-out user back in.
        await userManager.SetLockoutEndDateAsync(user, null);
        await userManager.ResetAccessFailedCountAsync(user);
        return OperationResult.Success;
    }

    public async Task<OperationResult> UnlockAsync(string actingUserId, string userId, CancellationToken cancellationToken)
    {
        if (!await IsEnabledAdministratorAsync(actingUserId, cancellationToken))
        {
            return OperationResult.Fail(null, ActorNotAdministrator);
        }

        var user = await userManager.FindByIdAsync(userId);
        if (user is null)
        {
            return OperationResult.Fail(null, "This user no longer exists.");
        }

        await userManager.SetLockoutEndDateAsync(user, null);
        await userManager.ResetAccessFailedCountAsync(user);
        return OperationResult.Success;
    }

    private async Task<OperationResult> ChangeGuardedAsync(
        string actingUserId, string userId, Func<ApplicationUser, Task<IdentityResult>> change, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockUsersAsync(cancellationToken);

        // Checked under the lock: an administrator demoted a moment ago cannot still act from an open page.
        if (!await IsEnabledAdministratorAsync(actingUserId, cancellationToken))
        {
            return OperationResult.Fail(null, ActorNotAdministrator);
        }

        var user = await userManager.FindByIdAsync(userId);
        if (user is null)
        {
            return OperationResult.Fail(null, "This user no longer exists.");
        }

        var result = await change(user);
        if (!result.Succeeded)
        {
            return OperationResult.FromIdentity(result);
        }

        if (await CountEnabledAdministratorsAsync(cancellationToken) == 0)
        {
            // Disposing the transaction without committing undoes the change.
            return OperationResult.Fail(null, NoAdministratorLeft);
        }

        await transaction.CommitAsync(cancellationToken);
        return OperationResult.Success;
    }

    private Task<bool> IsEnabledAdministratorAsync(string userId, CancellationToken cancellationToken) =>
        EnabledAdministrators.Ids(db).AnyAsync(id => id == userId, cancellationToken);

    private Task<int> CountEnabledAdministratorsAsync(CancellationToken cancellationToken) =>
        EnabledAdministrators.Ids(db).CountAsync(cancellationToken);
}
