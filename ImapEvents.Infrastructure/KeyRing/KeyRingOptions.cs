namespace ImapEvents.Infrastructure.KeyRing;

/// <summary>
/// How the Data Protection key ring (which encrypts every stored password, header and secret, and signs
/// sign-in cookies) is itself protected in the database: by a certificate that lives outside it.
/// </summary>
public sealed class KeyRingOptions
{
    public const string SectionName = "DataProtection";

    /// <summary>A PEM file with the certificate and its RSA private key, or a PKCS#12 file (.pfx, .p12).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The password of a PKCS#12 file or of an encrypted PEM key, if it has one.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Certificates the ring was protected with before a rotation; read only, to move the keys to the current one.</summary>
    public List<string> PreviousCertificatePaths { get; set; } = [];

    /// <summary>Lets a non-Development instance start without a certificate, its keys readable by anyone with the database.</summary>
    public bool AllowUnprotectedKeys { get; set; }
}
