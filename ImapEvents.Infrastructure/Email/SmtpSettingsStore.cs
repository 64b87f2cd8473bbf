using ImapEvents.Core.Email;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Infrastructure.Email;

public sealed record SmtpSaveResult(IReadOnlyDictionary<string, string> Errors)
{
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>The installation's SMTP server: one row, its password kept only as Data Protection ciphertext.</summary>
public sealed class SmtpSettingsStore(IDbContextFactory<AppDbContext> dbFactory, IDataProtectionProvider dataProtection, TimeProvider time)
{
    private readonly IDataProtector protector = dataProtection.CreateProtector("ImapEvents.Email.SmtpPassword.v1");

    /// <summary>The stored settings, or unconfigured defaults.</summary>
    public async Task<SmtpSettings> GetAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.SmtpSettings.AsNoTracking().SingleOrDefaultAsync(s => s.Id == 1, cancellationToken) ?? new SmtpSettings();
    }

    /// <param name="newPassword">A password typed now; null or empty keeps the stored one.</param>
    public async Task<SmtpSaveResult> SaveAsync(string actingUserEmail, SmtpSettings draft, string? newPassword, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stored = await db.SmtpSettings.SingleOrDefaultAsync(s => s.Id == 1, cancellationToken);
        var settings = stored ?? db.SmtpSettings.Add(new SmtpSettings()).Entity;
        var username = string.IsNullOrWhiteSpace(draft.Username) ? null : draft.Username.Trim();
        // The stored password belongs to the server and username it was entered for: never send it elsewhere.
        var sameServer = string.Equals(settings.Host, draft.Host.Trim(), StringComparison.OrdinalIgnoreCase)
            && settings.Port == draft.Port && settings.Security == draft.Security && string.Equals(settings.Username, username, StringComparison.Ordinal);
        var hadPassword = settings.ProtectedPassword is not null;
        var keepsPassword = sameServer && hadPassword;
        settings.Host = draft.Host.Trim();
        settings.Port = draft.Port;
        settings.Security = draft.Security;
        settings.Username = username;
        settings.FromAddress = draft.FromAddress.Trim();
        settings.FromName = string.IsNullOrWhiteSpace(draft.FromName) ? null : draft.FromName.Trim();
        if (settings.Username is null || !keepsPassword)
        {
            settings.ProtectedPassword = null;
        }

        var errors = new Dictionary<string, string>(SmtpSettingsValidation.Validate(settings, newPassword), StringComparer.Ordinal);
        if (!keepsPassword && hadPassword && settings.Username is not null && string.IsNullOrEmpty(newPassword))
        {
            errors[SmtpSettingsValidation.Password] = "Enter the password again: the stored one is only sent to the server and username it was saved for.";
        }
        if (errors.Count > 0)
        {
            return new SmtpSaveResult(errors);
        }

        if (settings.Username is not null && !string.IsNullOrEmpty(newPassword))
        {
            settings.ProtectedPassword = protector.Protect(newPassword);
        }

        settings.UpdatedAt = time.GetUtcNow();
        settings.UpdatedBy = actingUserEmail;
        await db.SaveChangesAsync(cancellationToken);
        return new SmtpSaveResult(new Dictionary<string, string>());
    }

    /// <returns>Null when the key ring no longer holds the key the password was protected with.</returns>
    public string? PasswordOf(SmtpSettings settings)
    {
        if (settings.ProtectedPassword is null)
        {
            return null;
        }

        try
        {
            return protector.Unprotect(settings.ProtectedPassword);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }
}
