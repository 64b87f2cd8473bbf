using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ImapEvents.Infrastructure.KeyRing;

/// <summary>Loads the key ring's certificates, refusing ones that cannot protect it, in words an operator can act on.</summary>
public static class KeyRingCertificates
{
    public static X509Certificate2 Load(string path, string? password, string setting)
    {
        if (!File.Exists(path))
        {
            throw new KeyRingException(
                $"{setting} names {path}, which does not exist or cannot be read by this process. " +
                "Create the certificate (scripts/new-key-certificate.sh) or correct the path.");
        }

        X509Certificate2 certificate;
        try
        {
            var extension = Path.GetExtension(path).ToLowerInvariant();
            certificate = extension is ".pfx" or ".p12"
                ? X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet)
                : string.IsNullOrEmpty(password)
                    ? X509Certificate2.CreateFromPemFile(path)
                    : X509Certificate2.CreateFromEncryptedPemFile(path, password);
        }
        catch (CryptographicException ex)
        {
            throw new KeyRingException(
                $"{setting}: {path} could not be read as a certificate with its private key ({ex.Message}). " +
                "It must be a PEM file holding the certificate and its RSA private key, or a PKCS#12 file (.pfx, .p12) " +
                "with DataProtection__CertificatePassword.", ex);
        }

        // Keys are wrapped with RSA key transport (XML encryption); other key types cannot unwrap them.
        using var rsa = certificate.GetRSAPrivateKey();
        if (rsa is null)
        {
            certificate.Dispose();
            throw new KeyRingException($"{setting}: {path} has no RSA private key. The key ring needs an RSA certificate with its private key.");
        }

        return certificate;
    }
}

/// <summary>A key ring that cannot be protected as configured: the app refuses to start and says why.</summary>
public sealed class KeyRingException(string message, Exception? inner = null) : Exception(message, inner);
