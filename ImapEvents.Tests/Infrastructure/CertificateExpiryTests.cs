using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>
/// IMAP Certificate Expiring, against the real Dovecot behind a TLS front whose certificate each test makes: the check
/// records the certificate's expiry and issuer, and within the warning period (14 days) raises the event once a day.
/// </summary>
public sealed class CertificateExpiryTests(ClockedCheckFixture fixture) : IClassFixture<ClockedCheckFixture>
{
    [Theory]
    [InlineData(ConnectionSecurity.SslOnConnect)]
    [InlineData(ConnectionSecurity.StartTls)]
    public async Task ACertificateExpiringIn5Days_RaisesCertificateExpiringOnceADay_WithTheDateAndIssuer(ConnectionSecurity security)
    {
        var expires = TestCertificates.WholeSeconds(fixture.Clock.GetUtcNow().AddDays(5));
        using var certificate = TestCertificates.Issue(expires);
        await using var front = new TlsFrontProxy(fixture.Dovecot.Host, fixture.Dovecot.Port, certificate, security);
        var (mailboxId, _) = await MailboxBehindAsync(front, security);

        var first = await fixture.CheckAsync(mailboxId);
        var sameDay = await fixture.CheckAsync(mailboxId);
        fixture.Clock.Advance(TimeSpan.FromDays(1));
        var nextDay = await fixture.CheckAsync(mailboxId);

        Assert.True(first.Result!.Succeeded, first.Result.Failure?.Message);
        Assert.Equal(new ServerCertificate(expires, TestCertificates.ReadableIssuer, TestCertificates.ReadableSubject), first.Result.Certificate);
        var warning = Assert.Single(first.Raised!);
        Assert.Equal(ImapEventType.CertificateExpiring, warning.Type);
        Assert.Equal(expires, warning.CertificateExpiresAt);
        Assert.Equal(TestCertificates.ReadableIssuer, warning.CertificateIssuer);
        Assert.Equal(
            $"The server's TLS certificate expires on {expires:yyyy-MM-dd HH:mm} UTC, in 5 d; it was issued by {TestCertificates.ReadableIssuer}.",
            warning.ErrorMessage);
        Assert.True(warning.Ssl);
        Assert.Equal(mailboxId, warning.MailboxId);

        Assert.True(sameDay.Result!.Succeeded, sameDay.Result.Failure?.Message);
        Assert.Empty(sameDay.Raised!);

        var again = Assert.Single(nextDay.Raised!);
        Assert.Equal(ImapEventType.CertificateExpiring, again.Type);
        Assert.Equal(
            $"The server's TLS certificate expires on {expires:yyyy-MM-dd HH:mm} UTC, in 4 d; it was issued by {TestCertificates.ReadableIssuer}.",
            again.ErrorMessage);

        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var stored = await db.Events.AsNoTracking().Where(e => e.MailboxId == mailboxId).ToListAsync();
        Assert.Equal(2, stored.Count);
        Assert.All(stored, e => Assert.Equal(ImapEventType.CertificateExpiring, e.Type));
        // Dispatched to the rules by the check itself, not left for the pending-event sweep.
        Assert.All(stored, e => Assert.NotNull(e.DispatchedAt));
        var status = await db.MailboxStatuses.AsNoTracking().SingleAsync(s => s.MailboxId == mailboxId);
        Assert.Equal(expires, status.CertificateExpiresAt);
        Assert.Equal(TestCertificates.ReadableIssuer, status.CertificateIssuer);
        Assert.Equal(TestCertificates.ReadableSubject, status.CertificateSubject);
        Assert.Equal(DateOnly.FromDateTime(fixture.Clock.GetUtcNow().UtcDateTime), status.CertificateWarnedOn);
    }

    [Theory]
    [InlineData(ConnectionSecurity.SslOnConnect)]
    [InlineData(ConnectionSecurity.StartTls)]
    public async Task ACertificateExpiringIn60Days_IsRecorded_WithoutAnEvent(ConnectionSecurity security)
    {
        var expires = TestCertificates.WholeSeconds(fixture.Clock.GetUtcNow().AddDays(60));
        using var certificate = TestCertificates.Issue(expires);
        await using var front = new TlsFrontProxy(fixture.Dovecot.Host, fixture.Dovecot.Port, certificate, security);
        var (mailboxId, _) = await MailboxBehindAsync(front, security);

        var run = await fixture.CheckAsync(mailboxId);

        Assert.True(run.Result!.Succeeded, run.Result.Failure?.Message);
        Assert.Empty(run.Raised!);
        var status = await StatusAsync(mailboxId);
        Assert.Equal(expires, status.CertificateExpiresAt);
        Assert.Equal(TestCertificates.ReadableIssuer, status.CertificateIssuer);
        Assert.Null(status.CertificateWarnedOn);
    }

    [Theory]
    [InlineData(ConnectionSecurity.SslOnConnect, "wrong password", ImapEventType.LoginFailed)]
    [InlineData(ConnectionSecurity.StartTls, "wrong password", ImapEventType.LoginFailed)]
    [InlineData(ConnectionSecurity.StartTls, "missing folder", ImapEventType.DownloadFailed)]
    public async Task ACheckThatFailsAfterTheHandshake_StillRecordsTheCertificate_AndWarns(ConnectionSecurity security, string fault, ImapEventType failure)
    {
        var expires = TestCertificates.WholeSeconds(fixture.Clock.GetUtcNow().AddDays(5));
        using var certificate = TestCertificates.Issue(expires);
        await using var front = new TlsFrontProxy(fixture.Dovecot.Host, fixture.Dovecot.Port, certificate, security);
        var (mailboxId, _) = await MailboxBehindAsync(front, security, settings => fault == "wrong password"
            ? settings with { Password = "not-the-password" }
            : settings with { Folder = "Does-Not-Exist" });

        var run = await fixture.CheckAsync(mailboxId);

        Assert.Equal(failure, run.Event?.Type);
        Assert.Equal(expires, run.Result!.Certificate?.NotAfter);
        Assert.Equal([failure, ImapEventType.CertificateExpiring], run.Raised!.Select(e => e.Type));
        var status = await StatusAsync(mailboxId);
        Assert.Equal(CheckOutcome.Failed, status.LastOutcome);
        Assert.Equal(expires, status.CertificateExpiresAt);
        Assert.Equal(TestCertificates.ReadableIssuer, status.CertificateIssuer);
    }

    [Fact]
    public async Task ACertificateTheCheckRefuses_IsRecordedToo()
    {
        var expires = TestCertificates.WholeSeconds(fixture.Clock.GetUtcNow().AddDays(5));
        using var certificate = TestCertificates.Issue(expires);
        await using var front = new TlsFrontProxy(fixture.Dovecot.Host, fixture.Dovecot.Port, certificate, ConnectionSecurity.SslOnConnect);
        var (mailboxId, _) = await MailboxBehindAsync(front, ConnectionSecurity.SslOnConnect, settings => settings with { AcceptUntrustedCertificate = false });

        var run = await fixture.CheckAsync(mailboxId);

        // The connection fails on that certificate (a test authority nobody trusts), and its expiry is known all the same.
        Assert.Equal(ImapEventType.ConnectionFailed, run.Event?.Type);
        Assert.Equal(CheckErrorKind.TlsHandshake, run.Event!.ErrorKind);
        Assert.Contains("was not trusted", run.Event.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(expires, (await StatusAsync(mailboxId)).CertificateExpiresAt);
        Assert.Contains(run.Raised!, e => e.Type == ImapEventType.CertificateExpiring);
    }

    [Fact]
    public async Task AMailboxMovedToAPlainConnection_ForgetsItsCertificate()
    {
        var expires = TestCertificates.WholeSeconds(fixture.Clock.GetUtcNow().AddDays(60));
        using var certificate = TestCertificates.Issue(expires);
        await using var front = new TlsFrontProxy(fixture.Dovecot.Host, fixture.Dovecot.Port, certificate, ConnectionSecurity.StartTls);
        var (mailboxId, _) = await MailboxBehindAsync(front, ConnectionSecurity.StartTls);
        await fixture.CheckAsync(mailboxId);
        Assert.Equal(expires, (await StatusAsync(mailboxId)).CertificateExpiresAt);

        await using (var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            await db.Mailboxes.Where(m => m.Id == mailboxId).ExecuteUpdateAsync(update => update
                .SetProperty(m => m.Security, ConnectionSecurity.None)
                .SetProperty(m => m.ServerName, fixture.Dovecot.Host)
                .SetProperty(m => m.ServerPort, fixture.Dovecot.Port));
        }

        var plain = await fixture.CheckAsync(mailboxId);

        Assert.True(plain.Result!.Succeeded, plain.Result.Failure?.Message);
        Assert.Null(plain.Result.Certificate);
        var status = await StatusAsync(mailboxId);
        Assert.Null(status.CertificateExpiresAt);
        Assert.Null(status.CertificateIssuer);
        Assert.Null(status.CertificateSubject);
    }

    [Theory]
    [InlineData(ConnectionSecurity.SslOnConnect)]
    [InlineData(ConnectionSecurity.StartTls)]
    public async Task TestConnection_ShowsTheCertificatesExpiryAndIssuer(ConnectionSecurity security)
    {
        var expires = TestCertificates.WholeSeconds(fixture.Clock.GetUtcNow().AddDays(5));
        using var certificate = TestCertificates.Issue(expires);
        await using var front = new TlsFrontProxy(fixture.Dovecot.Host, fixture.Dovecot.Port, certificate, security);
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var mailbox = new Mailbox
        {
            ServerName = "127.0.0.1",
            ServerPort = front.Port,
            Security = security,
            AcceptUntrustedCertificate = true,
            LoginUsername = user,
        };

        var reports = await fixture.Service<ConnectionTester>().TestAsync(mailbox, password, null, CancellationToken.None);

        var connect = reports.Single(r => r.Stage == CheckStage.Connect);
        Assert.Equal(StageState.Passed, connect.State);
        Assert.StartsWith("Connected with Tls", connect.Detail, StringComparison.Ordinal);
        Assert.EndsWith($". Certificate valid until {expires:yyyy-MM-dd}, in 5 d, issued by {TestCertificates.ReadableIssuer}.", connect.Detail, StringComparison.Ordinal);
        Assert.All(reports.Where(r => r.Stage is CheckStage.Authenticate or CheckStage.Download), r => Assert.Equal(StageState.Passed, r.State));
    }

    [Fact]
    public async Task TestConnection_WithoutTls_SaysNothingOfACertificate()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var mailbox = new Mailbox { ServerName = fixture.Dovecot.Host, ServerPort = fixture.Dovecot.Port, Security = ConnectionSecurity.None, LoginUsername = user };

        var reports = await fixture.Service<ConnectionTester>().TestAsync(mailbox, password, null, CancellationToken.None);

        Assert.Equal("Connected without encryption.", reports.Single(r => r.Stage == CheckStage.Connect).Detail);
    }

    private async Task<(Guid MailboxId, string Username)> MailboxBehindAsync(
        TlsFrontProxy front, ConnectionSecurity security, Func<MailboxSettings, MailboxSettings>? change = null)
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var settings = fixture.Settings(user, password) with
        {
            ServerName = "127.0.0.1",
            ServerPort = front.Port,
            Security = security,
            // The test authority is trusted by nobody, as with many self-hosted mail servers.
            AcceptUntrustedCertificate = true,
        };
        return (await fixture.CreateMailboxAsync(change?.Invoke(settings) ?? settings), user);
    }

    private async Task<MailboxStatus> StatusAsync(Guid mailboxId)
    {
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.MailboxStatuses.AsNoTracking().SingleAsync(s => s.MailboxId == mailboxId);
    }
}
