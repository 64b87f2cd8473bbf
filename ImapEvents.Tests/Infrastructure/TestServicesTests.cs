using ImapEvents.Tests.TestSupport;
using MailKit.Net.Imap;
using MailKit.Security;
using Npgsql;

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

    /// <summary>
    /// The cleanup a test class falls back to when DROP DATABASE … WITH (FORCE) may not end a session
    /// (an autovacuum worker, for a role without pg_signal_backend): it must still drop the database
    /// with a session of our own open in it, as a test host's pool leaves one.
    /// </summary>
    [Fact]
    public async Task PostgresCleanupWithoutForce_EndsOurOwnSessions_AndDropsTheDatabase()
    {
        var postgres = await PostgresServer.GetAsync();
        var connectionString = await postgres.CreateDatabaseAsync();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var leftOpen = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await leftOpen.OpenAsync();
        await using (var busy = new NpgsqlCommand("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 1000)", leftOpen))
        {
            await busy.ExecuteNonQueryAsync();
        }

        await postgres.DropWithoutForceAsync(name);

        Assert.False(await postgres.DatabaseExistsAsync(name));
        await using var afterwards = new NpgsqlCommand("SELECT 1", leftOpen);
        // Its session was ended ("terminating connection due to administrator command"), not waited for.
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => afterwards.ExecuteScalarAsync());
    }
}
