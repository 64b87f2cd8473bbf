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
        var (revised, errors) = SmtpSettingsValidation.Revise(stored ?? new SmtpSettings(), draft, newPassword);
        if (errors.Count > 0)
        {
            return new SmtpSaveResult(errors);
        }

        var settings = stored ?? db.SmtpSettings.Add(new SmtpSettings()).Entity;
        settings.Host = revised.Host;
        settings.Port = revised.Port;
        settings.Security = revised.Security;
        settings.Username = revised.Username;
        settings.ProtectedPassword = revised.ProtectedPassword;
        settings.FromAddress = revised.FromAddress;
        settings.FromName = revised.FromName;
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
