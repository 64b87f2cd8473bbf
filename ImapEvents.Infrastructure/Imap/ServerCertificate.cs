using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using ImapEvents.Core.Text;

namespace ImapEvents.Infrastructure.Imap;

/// <summary>The server's TLS certificate as a check saw it.</summary>
/// <param name="NotAfter">UTC.</param>
/// <param name="Issuer">Who issued it, readable: "R11 (Let's Encrypt)".</param>
/// <param name="Subject">Who it was issued to, in the same form.</param>
public sealed record ServerCertificate(DateTimeOffset NotAfter, string Issuer, string Subject)
{
    /// <summary>
    /// Names are cut to this: the server chooses them, and they go into columns, events and notifications.
    /// Real ones are far shorter.
    /// </summary>
    public const int MaxNameLength = 300;

    private const string CommonName = "2.5.4.3";
    private const string Organization = "2.5.4.10";

    /// <summary>"Certificate valid until 2027-01-05, issued by R11 (Let's Encrypt)." or "Certificate expired on …".</summary>
    public string Validity(DateTimeOffset now) =>
        NotAfter <= now
            ? string.Create(CultureInfo.InvariantCulture, $"Certificate expired on {NotAfter:yyyy-MM-dd}, issued by {Issuer}.")
            : string.Create(CultureInfo.InvariantCulture, $"Certificate valid until {NotAfter:yyyy-MM-dd}, in {DurationText.Of(NotAfter - now)}, issued by {Issuer}.");

    public static ServerCertificate Of(X509Certificate certificate)
    {
        var full = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        try
        {
            return new ServerCertificate(
                new DateTimeOffset(full.NotAfter.ToUniversalTime(), TimeSpan.Zero),
                ReadableName(full.IssuerName),
                ReadableName(full.SubjectName));
        }
        finally
        {
            if (!ReferenceEquals(full, certificate))
            {
                full.Dispose();
            }
        }
    }

    /// <summary>
    /// The common name with the organisation after it ("R11 (Let's Encrypt)"): an issuer's common name alone is often
    /// a code, and its full DN is noise in a notification. A name without a common name is given whole.
    /// </summary>
    public static string ReadableName(X500DistinguishedName name)
    {
        string? Part(string oid)
        {
            foreach (var part in name.EnumerateRelativeDistinguishedNames())
            {
                if (!part.HasMultipleElements && part.GetSingleElementType().Value == oid && part.GetSingleElementValue() is { Length: > 0 } value)
                {
                    return value.Trim();
                }
            }

            return null;
        }

        string readable;
        try
        {
            var commonName = Part(CommonName);
            var organization = Part(Organization);
            readable = commonName is null ? name.Name
                : organization is null || string.Equals(organization, commonName, StringComparison.OrdinalIgnoreCase) ? commonName
                : $"{commonName} ({organization})";
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // A name whose parts do not decode is shown as .NET prints it.
            readable = name.Name;
        }

        readable = string.Join(' ', readable.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return readable.Length == 0 ? "(no name)" : StoredText.Clip(readable, MaxNameLength);
    }
}
