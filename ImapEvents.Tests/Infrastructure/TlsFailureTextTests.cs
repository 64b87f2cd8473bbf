using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ImapEvents.Infrastructure.Imap;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>
/// The reasons a certificate is refused, for the cases the test Dovecot cannot show (its certificate is
/// self-signed and names 127.0.0.1 and localhost); that case runs against Dovecot in MailboxCheckTests.
/// </summary>
public sealed class TlsFailureTextTests
{
    private static readonly CertificateFacts Issued = new("mail.example.com", SelfSigned: false, new DateTime(2025, 1, 1), new DateTime(2025, 12, 31));

    [Fact]
    public void ANameMismatch_SaysWhoTheCertificateIsFor()
    {
        var problem = TlsFailureText.CertificateProblem(SslPolicyErrors.RemoteCertificateNameMismatch, [], Issued, "imap.example.com");

        Assert.Equal("it is issued for mail.example.com, not imap.example.com", problem);
    }

    [Fact]
    public void AnExpiredCertificateFromAnUnknownAuthority_GivesBothReasons()
    {
        var problem = TlsFailureText.CertificateProblem(
            SslPolicyErrors.RemoteCertificateChainErrors, [X509ChainStatusFlags.PartialChain, X509ChainStatusFlags.NotTimeValid], Issued, "mail.example.com");

        Assert.Equal("it is not signed by an authority this machine trusts, and it is valid only from 2025-01-01 to 2025-12-31", problem);
    }

    [Fact]
    public void NoCertificate_SaysSo()
    {
        Assert.Equal("the server sent no certificate", TlsFailureText.CertificateProblem(SslPolicyErrors.RemoteCertificateNotAvailable, [], null, "mail.example.com"));
    }
}
