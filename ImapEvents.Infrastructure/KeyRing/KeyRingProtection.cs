using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.KeyRing;

/// <summary>The certificate that protects the key ring, when one is configured.</summary>
public sealed record KeyRingCertificate(X509Certificate2 Current);

/// <summary>
/// Keeps the key ring protected at rest: at start-up it refuses an unprotected ring outside Development
/// (unless told to accept one), and wraps every key still stored in the clear (from before a certificate
/// was set) or for a previous certificate (a rotation) for the current certificate, in place, so secrets
/// protected with those keys stay readable.
/// </summary>
public sealed class KeyRingProtection(
    IDbContextFactory<AppDbContext> dbFactory,
    IOptions<KeyRingOptions> options,
    IHostEnvironment environment,
    IServiceProvider services,
    ILoggerFactory loggerFactory)
{
    public const string UnprotectedRefusal =
        "The Data Protection key ring would be stored unprotected in the database: anyone with a copy of the database " +
        "(a backup) could decrypt every stored password, header and secret, and forge an administrator's sign-in cookie. " +
        "Set DataProtection__CertificatePath to a certificate with its private key that is kept outside the database " +
        "(scripts/new-key-certificate.sh makes one; scripts/run.sh does it on first start), " +
        "or set DataProtection__AllowUnprotectedKeys=true to accept the risk.";

    private static readonly XNamespace DataProtectionNamespace = "http://schemas.asp.net/2015/03/dataProtection";
    private static readonly XName RequiresEncryption = DataProtectionNamespace + "requiresEncryption";
    private static readonly XName EncryptedSecret = DataProtectionNamespace + "encryptedSecret";
    private static readonly XName X509CertificateElement = XNamespace.Get("http://www.w3.org/2000/09/xmldsig#") + "X509Certificate";

    private readonly ILogger logger = loggerFactory.CreateLogger<KeyRingProtection>();

    public static void Register(IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(KeyRingOptions.SectionName);
        services.Configure<KeyRingOptions>(section);
        var settings = section.Get<KeyRingOptions>() ?? new KeyRingOptions();

        var dataProtection = services.AddDataProtection()
            .SetApplicationName(DependencyInjection.DataProtectionApplicationName)
            .PersistKeysToDbContext<AppDbContext>();
        services.AddSingleton<KeyRingProtection>();

        if (string.IsNullOrWhiteSpace(settings.CertificatePath))
        {
            return;
        }

        var current = KeyRingCertificates.Load(settings.CertificatePath, settings.CertificatePassword, "DataProtection__CertificatePath");
        dataProtection.ProtectKeysWithCertificate(current);
        var previous = settings.PreviousCertificatePaths
            .Where(path => !string.IsNullOrWhiteSpace(path))
            .Select((path, index) => KeyRingCertificates.Load(path, settings.CertificatePassword, $"DataProtection__PreviousCertificatePaths__{index}"))
            .ToArray();
        if (previous.Length > 0)
        {
            dataProtection.UnprotectKeysWithAnyCertificate(previous);
        }

        services.AddSingleton(new KeyRingCertificate(current));
    }

    public async Task EnsureProtectedAsync(CancellationToken cancellationToken)
    {
        var certificate = services.GetService<KeyRingCertificate>()?.Current;
        if (certificate is null)
        {
            if (environment.IsDevelopment())
            {
                return;
            }

            if (!options.Value.AllowUnprotectedKeys)
            {
                throw new KeyRingException(UnprotectedRefusal);
            }

            logger.LogWarning(
                "DataProtection__AllowUnprotectedKeys is set: the key ring is stored unprotected, so a copy of the database " +
                "decrypts every stored secret. Set DataProtection__CertificatePath to protect it.");
            return;
        }

        var encryptor = new CertificateXmlEncryptor(certificate, loggerFactory);
        var decryptor = new EncryptedXmlDecryptor(services);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var keys = await db.DataProtectionKeys.ToListAsync(cancellationToken);
        var rewrapped = 0;
        foreach (var key in keys)
        {
            if (key.Xml is null)
            {
                continue;
            }

            var element = XElement.Parse(key.Xml);
            if (Wrap(element, certificate.Thumbprint, encryptor, decryptor, key.FriendlyName))
            {
                key.Xml = element.ToString(SaveOptions.DisableFormatting);
                rewrapped++;
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        if (rewrapped > 0)
        {
            logger.LogWarning(
                "Protected {Count} key(s) of the key ring with the certificate {Thumbprint}. Backups of the database taken " +
                "before now hold those keys readable: keep them as safe as the certificate, or delete them.",
                rewrapped, certificate.Thumbprint);
        }

        logger.LogInformation("The key ring is protected by the certificate {Thumbprint} ({Subject}).", certificate.Thumbprint, certificate.Subject);
    }

    private static bool Wrap(XElement key, string thumbprint, CertificateXmlEncryptor encryptor, EncryptedXmlDecryptor decryptor, string? keyName)
    {
        var changed = false;
        foreach (var secret in key.Descendants(EncryptedSecret).ToList())
        {
            var wrappedFor = secret.Descendants(X509CertificateElement).Select(certificate => certificate.Value).FirstOrDefault();
            if (wrappedFor is null || string.Equals(Thumbprint(wrappedFor), thumbprint, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            try
            {
                secret.ReplaceWith(decryptor.Decrypt(secret.Elements().Single()));
                changed = true;
            }
            catch (CryptographicException ex)
            {
                throw new KeyRingException(
                    $"The key {keyName} is protected by the certificate {Thumbprint(wrappedFor)}, which is neither " +
                    "DataProtection__CertificatePath nor one of DataProtection__PreviousCertificatePaths. Add that certificate " +
                    "as DataProtection__PreviousCertificatePaths__0 for one start, and the key moves to the current certificate. " +
                    "If it is lost, so are the secrets protected with this key: delete the key's row from data_protection_keys " +
                    "and enter those passwords and secrets again.", ex);
            }
        }

        foreach (var clear in key.Descendants().Where(RequiresWrapping).ToList())
        {
            var wrapped = encryptor.Encrypt(new XElement(clear));
            clear.ReplaceWith(new XElement(
                EncryptedSecret,
                new XAttribute("decryptorType", wrapped.DecryptorType.AssemblyQualifiedName!),
                wrapped.EncryptedElement));
            changed = true;
        }

        return changed;
    }

    /// <summary>What Data Protection marks as secret and would have wrapped had an encryptor been configured.</summary>
    internal static bool RequiresWrapping(XElement element) =>
        string.Equals((string?)element.Attribute(RequiresEncryption), "true", StringComparison.OrdinalIgnoreCase)
        && !element.Ancestors(EncryptedSecret).Any();

    private static string Thumbprint(string base64Certificate)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(base64Certificate));
        return certificate.Thumbprint;
    }
}
