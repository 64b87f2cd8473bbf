using System.Security.Cryptography;
using System.Text.Json;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Providers;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Infrastructure.Providers;

public sealed record ProviderSaveResult(Guid? Id, IReadOnlyDictionary<string, string> Errors)
{
    public bool Succeeded => Errors.Count == 0;

    public static ProviderSaveResult Failed(string message) => new(null, new Dictionary<string, string> { [""] = message });
}

/// <summary>
/// The External Providers page and the deliveries to providers. The signing secret and the header
/// values are kept only as Data Protection ciphertext; header names stay readable.
/// </summary>
public sealed class ProviderAdministration(
    IDbContextFactory<AppDbContext> dbFactory,
    IDataProtectionProvider dataProtection,
    HttpActionSender http,
    TimeProvider time)
{
    private readonly IDataProtector secretProtector = dataProtection.CreateProtector("ImapEvents.Providers.Secret.v1");
    private readonly IDataProtector headerProtector = dataProtection.CreateProtector("ImapEvents.Providers.Headers.v1");

    public async Task<IReadOnlyList<ExternalProvider>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ExternalProviders.AsNoTracking().OrderBy(p => p.Name).ToListAsync(cancellationToken);
    }

    public async Task<ExternalProvider?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ExternalProviders.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
    }

    /// <param name="id">Null to add a provider.</param>
    /// <param name="newSecret">Null or empty keeps the stored secret.</param>
    /// <param name="newHeaders">
    /// Null keeps the stored headers (only while the endpoint keeps its scheme, host and port); empty text removes them.
    /// </param>
    public async Task<ProviderSaveResult> SaveAsync(Guid? id, ExternalProvider draft, uint version, string? newSecret, string? newHeaders, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var provider = id is { } existingId
            ? await db.ExternalProviders.SingleOrDefaultAsync(p => p.Id == existingId, cancellationToken)
            : new ExternalProvider { Id = Guid.NewGuid(), CreatedAt = time.GetUtcNow() };
        if (provider is null)
        {
            return ProviderSaveResult.Failed("This provider was deleted by someone else.");
        }

        if (id is not null)
        {
            db.Entry(provider).Property(p => p.Version).OriginalValue = version;
        }

        var storedEndpoint = id is null ? null : provider.Endpoint;
        provider.Name = draft.Name.Trim();
        provider.Endpoint = draft.Endpoint.Trim();
        provider.Enabled = draft.Enabled;
        var errors = new Dictionary<string, string>(ExternalProviderValidation.Validate(provider, newSecret, newHeaders, storedEndpoint), StringComparer.Ordinal);
        var otherNames = await db.ExternalProviders.AsNoTracking().Where(p => p.Id != provider.Id).Select(p => p.Name).ToListAsync(cancellationToken);
        if (!errors.ContainsKey(ExternalProviderValidation.Name) && otherNames.Contains(provider.Name, StringComparer.OrdinalIgnoreCase))
        {
            errors[ExternalProviderValidation.Name] = $"A provider named \"{provider.Name}\" exists already; rules and exports name providers, so each needs its own name.";
        }

        if (errors.Count > 0)
        {
            return new ProviderSaveResult(null, errors);
        }

        if (!string.IsNullOrWhiteSpace(newSecret))
        {
            provider.ProtectedSecret = secretProtector.Protect(newSecret.Trim());
        }

        if (newHeaders is not null)
        {
            var headers = ExternalProviderValidation.ParseHeaders(newHeaders);
            provider.ProtectedHeaders = headers.Count == 0 ? null : headerProtector.Protect(JsonSerializer.Serialize(headers));
            provider.HeaderNames = headers.Select(h => h.Key).ToList();
        }

        provider.UpdatedAt = time.GetUtcNow();
        if (id is null)
        {
            db.ExternalProviders.Add(provider);
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return ProviderSaveResult.Failed("Someone else changed this provider while you were editing. Close the form and open it again.");
        }

        return new ProviderSaveResult(provider.Id, new Dictionary<string, string>());
    }

    /// <summary>The rules whose actions notify this provider.</summary>
    public async Task<IReadOnlyList<string>> UsedByAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var contains = JsonSerializer.Serialize(new[] { new { providerId = id } });
        return await db.Database
            .SqlQuery<string>($"SELECT \"Name\" AS \"Value\" FROM event_rules WHERE \"Actions\" @> {contains}::jsonb ORDER BY \"Name\"")
            .ToListAsync(cancellationToken);
    }

    /// <returns>Null when deleted; otherwise why not.</returns>
    public async Task<string?> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        var usedBy = await UsedByAsync(id, cancellationToken);
        if (usedBy.Count > 0)
        {
            return $"Rules notify this provider: {string.Join(", ", usedBy)}. Remove it from their actions first, or disable the provider.";
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.ExternalProviders.Where(p => p.Id == id).ExecuteDeleteAsync(cancellationToken);
        return null;
    }

    /// <summary>Notify Events External Provider for one firing, with the provider as it is now.</summary>
    public async Task<SendResult> NotifyAsync(RuleAction action, Guid deliveryId, ImapEvent imapEvent, TemplateValues values, CancellationToken cancellationToken)
    {
        var provider = action.ProviderId is { } providerId ? await GetAsync(providerId, cancellationToken) : null;
        if (provider is null)
        {
            return SendResult.Failed("The provider of this action was deleted. Edit the rule and choose another.", permanent: true);
        }

        if (!provider.Enabled)
        {
            return SendResult.Failed($"The provider {provider.Name} is disabled. Enable it on the External Providers page, then retry the job.", permanent: true);
        }

        return await SendAsync(provider, deliveryId, imapEvent, values, cancellationToken);
    }

    /// <summary>The "Test" button: a made-up event marked as a test, sent the way real ones are.</summary>
    public async Task<SendResult> TestAsync(Guid id, CancellationToken cancellationToken)
    {
        var provider = await GetAsync(id, cancellationToken);
        if (provider is null)
        {
            return SendResult.Failed("This provider was deleted by someone else.");
        }

        var sample = SampleEvents.LoginFailed(time.GetUtcNow(), "Test", $"Test request to {provider.Name} from the External Providers page.");
        return await SendAsync(provider, Guid.NewGuid(), sample, new TemplateValues(sample, "Test", 0), cancellationToken);
    }

    private async Task<SendResult> SendAsync(ExternalProvider provider, Guid messageId, ImapEvent imapEvent, TemplateValues values, CancellationToken cancellationToken)
    {
        string secret;
        IReadOnlyList<KeyValuePair<string, string>> headers;
        try
        {
            secret = secretProtector.Unprotect(provider.ProtectedSecret ?? throw new CryptographicException("No secret stored."));
            headers = provider.ProtectedHeaders is null
                ? []
                : JsonSerializer.Deserialize<List<KeyValuePair<string, string>>>(headerProtector.Unprotect(provider.ProtectedHeaders)) ?? [];
        }
        catch (CryptographicException)
        {
            return SendResult.Failed(
                $"The secret or headers of {provider.Name} cannot be read (the data-protection key ring changed). Enter them again on the External Providers page.",
                permanent: true);
        }

        return await http.NotifyProviderAsync(provider.Endpoint, secret, headers, messageId, imapEvent, values, cancellationToken);
    }
}
