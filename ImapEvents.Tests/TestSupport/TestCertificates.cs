using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ImapEvents.Tests.TestSupport;

/// <summary>Server certificates made by the tests, with the expiry a test needs, issued by a test authority.</summary>
public static class TestCertificates
{
    public const string IssuerName = "CN=ImapEvents Test CA, O=ImapEvents Tests";

    public const string SubjectName = "CN=imap.test, O=ImapEvents Tests";

    /// <summary>How the check names them ("common name (organisation)").</summary>
    public const string ReadableIssuer = "ImapEvents Test CA (ImapEvents Tests)";

    public const string ReadableSubject = "imap.test (ImapEvents Tests)";

    /// <summary>A certificate for imap.test, valid from a day before <paramref name="notAfter"/> (or earlier) until it, with its private key.</summary>
    /// <param name="notAfter">Whole seconds: a certificate keeps no more.</param>
    public static X509Certificate2 Issue(DateTimeOffset notAfter)
    {
        // Valid now in real time too, so nothing but the expiry the test chose is unusual about it.
        var notBefore = new[] { notAfter.AddDays(-1), DateTimeOffset.UtcNow.AddDays(-1) }.Min();

        // ECDSA keys: made in microseconds, where RSA keys take a noticeable share of a test on a busy machine.
        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest(IssuerName, authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        using var authority = authorityRequest.CreateSelfSigned(notBefore.AddDays(-1), notAfter.AddYears(1));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(SubjectName, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("imap.test");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var issued = request.Create(authority, notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
        using var withKey = issued.CopyWithPrivateKey(key);
        // Through PKCS#12, so the private key is one SslStream can use as a server on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>The instant cut to whole seconds, as a certificate stores it.</summary>
    public static DateTimeOffset WholeSeconds(DateTimeOffset instant) =>
        new(instant.UtcTicks - instant.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
}
