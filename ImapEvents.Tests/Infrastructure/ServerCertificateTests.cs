using System.Security.Cryptography.X509Certificates;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Tests.TestSupport;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>How a certificate, its expiry and a stale mailbox are put into words: pure, no server.</summary>
public sealed class ServerCertificateTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("CN=R11, O=Let's Encrypt, C=US", "R11 (Let's Encrypt)")]
    [InlineData("C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1", "DigiCert Global G2 TLS RSA SHA256 2020 CA1 (DigiCert Inc)")]
    [InlineData("CN=mail.example.com", "mail.example.com")]
    [InlineData("CN=Acme, O=ACME", "Acme")]
    [InlineData("O=Example Ltd, C=GB", "O=Example Ltd, C=GB")]
    public void AName_IsItsCommonNameAndOrganisation_OrWholeWithoutACommonName(string distinguishedName, string readable)
    {
        Assert.Equal(readable, ServerCertificate.ReadableName(new X500DistinguishedName(distinguishedName)));
    }

    [Fact]
    public void AnEmptyName_SaysSo_AndAnEndlessOne_IsCut()
    {
        Assert.Equal("(no name)", ServerCertificate.ReadableName(new X500DistinguishedName("")));

        var endless = ServerCertificate.ReadableName(new X500DistinguishedName($"CN={new string('a', 2000)}"));
        Assert.Equal(ServerCertificate.MaxNameLength, endless.Length);
        Assert.EndsWith("…", endless, StringComparison.Ordinal);
    }

    [Fact]
    public void ACertificate_IsReadWithItsExpiryInUtc_AndItsIssuerNotItsSubject()
    {
        var expires = new DateTimeOffset(2027, 1, 5, 8, 30, 15, TimeSpan.Zero);
        using var certificate = TestCertificates.Issue(expires);

        var read = ServerCertificate.Of(certificate);

        Assert.Equal(new ServerCertificate(expires, TestCertificates.ReadableIssuer, TestCertificates.ReadableSubject), read);
        Assert.Equal(TimeSpan.Zero, read.NotAfter.Offset);
    }

    [Fact]
    public void Validity_SaysUntilWhenAndWhoIssuedIt_OrThatItExpired()
    {
        var certificate = new ServerCertificate(new DateTimeOffset(2027, 1, 5, 8, 0, 0, TimeSpan.Zero), "R11 (Let's Encrypt)", "mail.example.com");

        Assert.Equal("Certificate valid until 2027-01-05, in 33 d 20 h, issued by R11 (Let's Encrypt).", certificate.Validity(Now));
        Assert.Equal("Certificate expired on 2027-01-05, issued by R11 (Let's Encrypt).", certificate.Validity(new DateTimeOffset(2027, 1, 6, 0, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void TheCertificateWarning_SaysWhenHowSoonAndWhoIssuedIt_OrThatItExpired()
    {
        var certificate = new ServerCertificate(Now.AddDays(5).AddHours(3), "R11 (Let's Encrypt)", "mail.example.com");

        Assert.Equal(
            "The server's TLS certificate expires on 2026-12-07 15:00 UTC, in 5 d 3 h; it was issued by R11 (Let's Encrypt).",
            CheckRecorder.CertificateWarning(certificate, Now));
        Assert.Equal(
            "The server's TLS certificate expired on 2026-12-07 15:00 UTC; it was issued by R11 (Let's Encrypt).",
            CheckRecorder.CertificateWarning(certificate, Now.AddDays(6)));
    }

    [Fact]
    public void TheStaleMessage_SaysSinceWhenAndWhyItMatters()
    {
        var lastCheck = Now.AddMinutes(-95);

        Assert.Equal(
            "No check of this mailbox completed since 2026-12-02 10:25 UTC, 1 h 35 min ago, though it is due every 30 min; " +
            "its scheduler or worker may have stopped. Until a check completes, no failure of this mailbox can be reported.",
            StaleMailboxSweep.Message(lastCheck, lastCheck, 30, Now));
        Assert.StartsWith(
            "No check of this mailbox completed since it was saved on 2026-12-02 11:00 UTC, 1 h ago, though it is due every 15 min;",
            StaleMailboxSweep.Message(null, Now.AddHours(-1), 15, Now),
            StringComparison.Ordinal);
        Assert.StartsWith(
            "No check of this mailbox completed since it was saved on 2026-12-02 11:00 UTC",
            StaleMailboxSweep.Message(lastCheck, Now.AddHours(-1), 15, Now),
            StringComparison.Ordinal);
    }
}
