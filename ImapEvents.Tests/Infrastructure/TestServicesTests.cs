using ImapEvents.Tests.TestSupport;
using MailKit.Net.Imap;
using MailKit.Security;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>Proves the services scripts/test.sh starts are the real thing and reachable as the later tests expect.</summary>
public sealed class TestServicesTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dovecot_AcceptsAKnownAccount_OverPlainAndTls(bool tls)
    {
        var dovecot = await DovecotServer.GetAsync();
        using var client = new ImapClient { Timeout = 10_000 };
        client.ServerCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && certificate.GetCertHashString() == dovecot.Certificate.GetCertHashString();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        await client.ConnectAsync(dovecot.Host, tls ? dovecot.TlsPort : dovecot.Port,
            tls ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.None, timeout.Token);
        await client.AuthenticateAsync(new SaslMechanismPlain("alice", "alice-pass"), timeout.Token);
        var inbox = await client.Inbox.OpenAsync(MailKit.FolderAccess.ReadOnly, timeout.Token);

        Assert.True(client.IsAuthenticated);
        Assert.Equal(MailKit.FolderAccess.ReadOnly, inbox);
        Assert.Equal(tls, client.IsSecure);
        await client.DisconnectAsync(true, timeout.Token);
    }

    [Fact]
    public async Task Dovecot_RejectsAWrongPassword()
    {
        var dovecot = await DovecotServer.GetAsync();
        using var client = new ImapClient { Timeout = 10_000 };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await client.ConnectAsync(dovecot.Host, dovecot.Port, SecureSocketOptions.None, timeout.Token);

        await Assert.ThrowsAsync<AuthenticationException>(() =>
            client.AuthenticateAsync(new SaslMechanismPlain("alice", "wrong"), timeout.Token));
    }
}
