using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using MailKit;
using MailKit.Search;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>The check against a real Dovecot: what is imported, what the server copy becomes, which event is raised.</summary>
public sealed class MailboxCheckTests(CheckFixture fixture) : IClassFixture<CheckFixture>
{
    [Fact]
    public async Task NewMessages_AreImportedOnce_AndMarkedSeen()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        await fixture.Dovecot.AppendAsync(user, password, "INBOX",
            DovecotServer.Message("First"), DovecotServer.Message("Second"), DovecotServer.Message("Third"));
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password));

        var first = await fixture.CheckAsync(mailboxId);
        var second = await fixture.CheckAsync(mailboxId);

        Assert.True(first.Result!.Succeeded, first.Result.Failure?.Message);
        Assert.Equal(3, first.Result.Imported);
        Assert.Null(first.Event);
        Assert.Equal(0, second.Result!.Imported);
        var imported = await fixture.ImportedAsync(mailboxId);
        Assert.Equal(["First", "Second", "Third"], imported.Select(m => m.Subject));
        Assert.All(imported, m => Assert.False(m.ServerChangePending));
        Assert.All(imported, m => Assert.Contains("customer@example.test", m.From, StringComparison.Ordinal));
        Assert.All(imported, m => Assert.True(m.RawMime.Length == m.Size && m.Size > 0));

        using var client = await fixture.Dovecot.ConnectAsync(user, password);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(3, client.Inbox.Count);
        Assert.Empty(await client.Inbox.SearchAsync(SearchQuery.NotSeen));
    }

    [Fact]
    public async Task ImportedMessages_AreMovedToTheChosenFolder()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        await fixture.Dovecot.AppendAsync(user, password, "Archive");
        await fixture.Dovecot.AppendAsync(user, password, "INBOX", DovecotServer.Message("Move me"), DovecotServer.Message("Me too"));
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password) with
        {
            AfterImport = AfterImport.MoveToFolder,
            MoveToFolder = "Archive",
        });

        var run = await fixture.CheckAsync(mailboxId);

        Assert.Equal(2, run.Result!.Imported);
        using var client = await fixture.Dovecot.ConnectAsync(user, password);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(0, client.Inbox.Count);
        var archive = await client.GetFolderAsync("Archive");
        await archive.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(2, archive.Count);
    }

    [Fact]
    public async Task ImportedMessages_AreDeleted_WhenSoConfigured()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        await fixture.Dovecot.AppendAsync(user, password, "INBOX", DovecotServer.Message("Delete me"));
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password) with { AfterImport = AfterImport.Delete });

        var run = await fixture.CheckAsync(mailboxId);

        Assert.Equal(1, run.Result!.Imported);
        using var client = await fixture.Dovecot.ConnectAsync(user, password);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(0, client.Inbox.Count);
        Assert.Single(await fixture.ImportedAsync(mailboxId));
    }

    [Fact]
    public async Task ClosedPort_RaisesConnectionFailed()
    {
        var run = await CheckAgainstAsync(fixture.Dovecot.Host, LoopbackTcpServer.ClosedPort(), ConnectionSecurity.None);

        AssertEvent(run, ImapEventType.ConnectionFailed, CheckErrorKind.ConnectionRefused);
    }

    [Fact]
    public async Task TlsAgainstThePlainPort_RaisesConnectionFailed_SayingThePortDoesNotSpeakTls()
    {
        var run = await CheckAgainstAsync(fixture.Dovecot.Host, fixture.Dovecot.Port, ConnectionSecurity.SslOnConnect);

        AssertEvent(run, ImapEventType.ConnectionFailed, CheckErrorKind.TlsHandshake);
        Assert.True(run.Event!.Ssl);
        // In place of MailKit's six-point FAQ, which blames certificates first.
        Assert.Equal(
            $"{fixture.Dovecot.Host}:{fixture.Dovecot.Port} did not answer with TLS: this port probably expects a plain or STARTTLS connection. " +
            "Choose STARTTLS or None, or use the server's TLS port (usually 993).",
            run.Event.ErrorMessage);
    }

    [Theory]
    [InlineData(ConnectionSecurity.SslOnConnect)]
    [InlineData(ConnectionSecurity.StartTls)]
    public async Task ASelfSignedCertificate_RaisesConnectionFailed_SayingWhyAndWhichOptionAcceptsIt(ConnectionSecurity security)
    {
        var port = security == ConnectionSecurity.SslOnConnect ? fixture.Dovecot.TlsPort : fixture.Dovecot.Port;

        var run = await CheckAgainstAsync(fixture.Dovecot.Host, port, security);

        AssertEvent(run, ImapEventType.ConnectionFailed, CheckErrorKind.TlsHandshake);
        Assert.Equal(
            $"The certificate of {fixture.Dovecot.Host}:{port} was not trusted: it is self-signed. " +
            "If you trust this server anyway, tick Accept untrusted certificate for this mailbox.",
            run.Event!.ErrorMessage);
    }

    [Fact]
    public async Task TestConnection_ExplainsTlsFailuresInTheSameWords()
    {
        var tester = fixture.Service<ConnectionTester>();
        Mailbox Mailbox(int port) => new()
        {
            ServerName = fixture.Dovecot.Host,
            ServerPort = port,
            Security = ConnectionSecurity.SslOnConnect,
            LoginUsername = "nobody",
        };

        var plainPort = await tester.TestAsync(Mailbox(fixture.Dovecot.Port), "irrelevant", null, CancellationToken.None);
        var selfSigned = await tester.TestAsync(Mailbox(fixture.Dovecot.TlsPort), "irrelevant", null, CancellationToken.None);

        var plainConnect = plainPort.Single(r => r.Stage == CheckStage.Connect);
        Assert.Equal(StageState.Failed, plainConnect.State);
        Assert.Equal(
            $"IMAP Connection Failed: {fixture.Dovecot.Host}:{fixture.Dovecot.Port} did not answer with TLS: this port probably expects a plain or STARTTLS connection. " +
            "Choose STARTTLS or None, or use the server's TLS port (usually 993).",
            plainConnect.Detail);
        var certificateConnect = selfSigned.Single(r => r.Stage == CheckStage.Connect);
        Assert.Equal(StageState.Failed, certificateConnect.State);
        Assert.Contains("was not trusted: it is self-signed", certificateConnect.Detail, StringComparison.Ordinal);
        Assert.Contains("tick Accept untrusted certificate", certificateConnect.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASelfSignedCertificate_IsAccepted_WhenTheMailboxSaysSo()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password) with
        {
            ServerPort = fixture.Dovecot.TlsPort,
            Security = ConnectionSecurity.SslOnConnect,
            AcceptUntrustedCertificate = true,
        });

        var run = await fixture.CheckAsync(mailboxId);

        Assert.True(run.Result!.Succeeded, run.Result.Failure?.Message);
    }

    [Theory]
    [InlineData(ConnectionSecurity.None)]
    [InlineData(ConnectionSecurity.SslOnConnect)]
    public async Task AServerThatNeverSpeaks_RaisesConnectionFailed_AfterTheStageTimeout(ConnectionSecurity security)
    {
        await using var silent = new SilentListener();

        var run = await CheckAgainstAsync("127.0.0.1", silent.Port, security);

        // The TCP connection was made; what failed was the greeting that never came.
        Assert.True(silent.Accepted >= 1);
        AssertEvent(run, ImapEventType.ConnectionFailed, CheckErrorKind.Timeout);
        // A TLS handshake that gets no answer is a timeout, not a refused certificate or a cipher problem.
        Assert.Equal("No answer from the server within 3 seconds (connect stage).", run.Event!.ErrorMessage);
    }

    [Fact]
    public async Task AnUnknownHost_RaisesConnectionFailed()
    {
        var run = await CheckAgainstAsync("no-such-host.invalid", 993, ConnectionSecurity.SslOnConnect);

        AssertEvent(run, ImapEventType.ConnectionFailed, CheckErrorKind.HostNotFound);
    }

    [Fact]
    public async Task AWrongPassword_RaisesLoginFailed_WithTheEventsFields()
    {
        var (user, _) = await fixture.Dovecot.CreateAccountAsync();
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, "not-the-password"));

        var run = await fixture.CheckAsync(mailboxId);

        AssertEvent(run, ImapEventType.LoginFailed, CheckErrorKind.CredentialsRejected);
        var raised = run.Event!;
        Assert.Equal(mailboxId, raised.MailboxId);
        Assert.Equal(fixture.Dovecot.Host, raised.ServerName);
        Assert.Equal(fixture.Dovecot.Port, raised.ServerPort);
        Assert.Equal(user, raised.LoginUsername);
        Assert.False(raised.Ssl);
        Assert.Equal(CheckStage.Authenticate, raised.Stage);
        Assert.Equal(TimeSpan.Zero, raised.OccurredAt.Offset);
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        Assert.Single(await db.Events.Where(e => e.MailboxId == mailboxId).ToListAsync());
        var status = await db.MailboxStatuses.SingleAsync(s => s.MailboxId == mailboxId);
        Assert.Equal(1, status.ConsecutiveFailures);
        Assert.Equal(CheckOutcome.Failed, status.LastOutcome);
    }

    [Fact]
    public async Task AWrongPassword_IsReportedAndLogged_WithoutADoublePeriod()
    {
        var (user, _) = await fixture.Dovecot.CreateAccountAsync();
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, "not-the-password"));

        var run = await fixture.CheckAsync(mailboxId);

        // Dovecot's own words, as MailKit's AuthenticationException carries them, end with a period already.
        Assert.EndsWith("Authentication failed.", run.Event!.ErrorMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("..", run.Event.ErrorMessage, StringComparison.Ordinal);
        var logged = fixture.App.Logs.Lines.Where(l => l.Contains("RuleDispatcher", StringComparison.Ordinal) && l.Contains(user, StringComparison.Ordinal)).ToList();
        var line = Assert.Single(logged);
        Assert.Contains("Authentication failed. ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("..", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFolderThatDoesNotExist_RaisesDownloadFailed()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password) with { Folder = "Does-Not-Exist" });

        var run = await fixture.CheckAsync(mailboxId);

        AssertEvent(run, ImapEventType.DownloadFailed, CheckErrorKind.FolderNotFound);
    }

    [Fact]
    public async Task TheConnectionCutMidFetch_RaisesDownloadFailed_AndImportsNothing()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        await fixture.Dovecot.AppendAsync(user, password, "INBOX", DovecotServer.Message("Cut off"));
        await using var proxy = new CuttingProxy(fixture.Dovecot.Host, fixture.Dovecot.Port);
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password) with { ServerName = "127.0.0.1", ServerPort = proxy.Port });

        var run = await fixture.CheckAsync(mailboxId);

        Assert.True(proxy.Cuts > 0);
        Assert.Equal(ImapEventType.DownloadFailed, run.Event?.Type);
        Assert.Contains(run.Event!.ErrorKind, new[] { CheckErrorKind.Network, CheckErrorKind.Protocol });
        Assert.Empty(await fixture.ImportedAsync(mailboxId));
    }

    [Fact]
    public async Task AMessageOverTheSizeLimit_StaysOnTheServer_AndTheOthersAreImported()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        await fixture.Dovecot.AppendAsync(user, password, "INBOX",
            DovecotServer.Message("Small"), DovecotServer.Message("Huge", paddingBytes: 3000), DovecotServer.Message("Also small"));
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password) with { MaxMessageSizeKilobytes = 2 });

        var run = await fixture.CheckAsync(mailboxId);

        AssertEvent(run, ImapEventType.ImportFailed, CheckErrorKind.MessageTooLarge);
        Assert.Equal(["Small", "Also small"], (await fixture.ImportedAsync(mailboxId)).Select(m => m.Subject));
        Assert.Contains("over the limit of 2 KB", run.Event!.ErrorMessage, StringComparison.Ordinal);
        using var client = await fixture.Dovecot.ConnectAsync(user, password);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var unseen = await client.Inbox.SearchAsync(SearchQuery.NotSeen);
        var left = await client.Inbox.FetchAsync(unseen, MessageSummaryItems.Envelope);
        Assert.Equal("Huge", Assert.Single(left).Envelope!.Subject);
    }

    [Fact]
    public async Task ADatabaseFailureWhileStoring_LeavesThatMessageOnTheServer_AndImportsTheOthers()
    {
        await using (var connection = new NpgsqlConnection(fixture.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                """
                CREATE OR REPLACE FUNCTION refuse_poison() RETURNS trigger AS $$
                BEGIN
                  IF NEW."Subject" = 'Poison' THEN RAISE EXCEPTION 'disk full (simulated)'; END IF;
                  RETURN NEW;
                END $$ LANGUAGE plpgsql;
                DROP TRIGGER IF EXISTS refuse_poison ON imported_messages;
                CREATE TRIGGER refuse_poison BEFORE INSERT ON imported_messages FOR EACH ROW EXECUTE FUNCTION refuse_poison();
                """, connection);
            await command.ExecuteNonQueryAsync();
        }

        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        await fixture.Dovecot.AppendAsync(user, password, "INBOX",
            DovecotServer.Message("Fine"), DovecotServer.Message("Poison"), DovecotServer.Message("Also fine"));
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password));

        CheckRun run;
        try
        {
            run = await fixture.CheckAsync(mailboxId);
        }
        finally
        {
            await using var cleanup = new NpgsqlConnection(fixture.ConnectionString);
            await cleanup.OpenAsync();
            await using var drop = new NpgsqlCommand("DROP TRIGGER IF EXISTS refuse_poison ON imported_messages", cleanup);
            await drop.ExecuteNonQueryAsync();
        }

        AssertEvent(run, ImapEventType.ImportFailed, CheckErrorKind.Database);
        Assert.Equal(["Fine", "Also fine"], (await fixture.ImportedAsync(mailboxId)).Select(m => m.Subject));
        using var client = await fixture.Dovecot.ConnectAsync(user, password);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var left = await client.Inbox.FetchAsync(await client.Inbox.SearchAsync(SearchQuery.NotSeen), MessageSummaryItems.Envelope);
        Assert.Equal("Poison", Assert.Single(left).Envelope!.Subject);
    }

    [Fact]
    public async Task AServerChangeThatFailedAfterTheCommit_IsFinishedNextTime_WithoutASecondImport()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        await fixture.Dovecot.AppendAsync(user, password, "INBOX", DovecotServer.Message("Exactly once"));
        // The destination does not exist yet: the import commits, then the move fails, as if the check died in between.
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password) with
        {
            AfterImport = AfterImport.MoveToFolder,
            MoveToFolder = "Processed",
        });

        var interrupted = await fixture.CheckAsync(mailboxId);

        AssertEvent(interrupted, ImapEventType.ImportFailed, CheckErrorKind.ServerUpdate);
        Assert.True(Assert.Single(await fixture.ImportedAsync(mailboxId)).ServerChangePending);

        await fixture.Dovecot.AppendAsync(user, password, "Processed");
        var resumed = await fixture.CheckAsync(mailboxId);

        Assert.True(resumed.Result!.Succeeded, resumed.Result.Failure?.Message);
        Assert.Equal(0, resumed.Result.Imported);
        var stored = Assert.Single(await fixture.ImportedAsync(mailboxId));
        Assert.False(stored.ServerChangePending);
        using var client = await fixture.Dovecot.ConnectAsync(user, password);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(0, client.Inbox.Count);
    }

    [Fact]
    public async Task ACheckThatDiedBetweenCommitAndServerChange_DoesNotImportTwice()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        await fixture.Dovecot.AppendAsync(user, password, "INBOX", DovecotServer.Message("Committed, then crash"));
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password));

        // What a crash leaves behind: the row committed with its server change pending, the message still unseen.
        using (var client = await fixture.Dovecot.ConnectAsync(user, password))
        {
            await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
            var uid = Assert.Single(await client.Inbox.SearchAsync(SearchQuery.All));
            var raw = new MemoryStream();
            await (await client.Inbox.GetMessageAsync(uid)).WriteToAsync(raw);
            await fixture.Service<MessageImporter>().StoreAsync(mailboxId, client.Inbox.UidValidity, uid.Id, raw.ToArray(), CancellationToken.None);
        }

        var run = await fixture.CheckAsync(mailboxId);

        Assert.True(run.Result!.Succeeded, run.Result.Failure?.Message);
        Assert.Equal(0, run.Result.Imported);
        Assert.False(Assert.Single(await fixture.ImportedAsync(mailboxId)).ServerChangePending);
        using var after = await fixture.Dovecot.ConnectAsync(user, password);
        await after.Inbox.OpenAsync(FolderAccess.ReadOnly);
        Assert.Empty(await after.Inbox.SearchAsync(SearchQuery.NotSeen));
    }

    [Fact]
    public async Task MessagesSomeoneAlreadyRead_AreImportedToo_WhenImportMarksSeen()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        await fixture.Dovecot.AppendAsync(user, password, "INBOX", MessageFlags.Seen, DovecotServer.Message("Read in webmail first"));
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password));

        var first = await fixture.CheckAsync(mailboxId);
        await fixture.Dovecot.AppendAsync(user, password, "INBOX", MessageFlags.Seen, DovecotServer.Message("Read on a phone, after the first import"));
        var second = await fixture.CheckAsync(mailboxId);
        var third = await fixture.CheckAsync(mailboxId);

        Assert.Equal(1, first.Result!.Imported);
        Assert.Equal(1, second.Result!.Imported);
        Assert.Equal(0, third.Result!.Imported);
        Assert.Equal(["Read in webmail first", "Read on a phone, after the first import"], (await fixture.ImportedAsync(mailboxId)).Select(m => m.Subject));
    }

    [Fact]
    public async Task OversizedMessages_DoNotTakeTheQuotaOfACheck()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        await fixture.Dovecot.AppendAsync(user, password, "INBOX",
            DovecotServer.Message("Huge 1", paddingBytes: 3000), DovecotServer.Message("Huge 2", paddingBytes: 3000),
            DovecotServer.Message("Huge 3", paddingBytes: 3000), DovecotServer.Message("Small, behind them"));
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password) with { MaxMessageSizeKilobytes = 2 });

        var run = await fixture.CheckAsync(mailboxId);

        Assert.Equal(1, run.Result!.Imported);
        Assert.Equal(3, run.Result.Failed);
        Assert.Equal("Small, behind them", Assert.Single(await fixture.ImportedAsync(mailboxId)).Subject);
    }

    [Fact]
    public async Task AfterAUidValidityChange_MessagesImportedBefore_AreRecognisedAndNotImportedAgain()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        await fixture.Dovecot.AppendAsync(user, password, "INBOX", DovecotServer.Message("Imported under the old numbering"));
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password));
        using (var client = await fixture.Dovecot.ConnectAsync(user, password))
        {
            // As if imported before the server renumbered the folder: same message, another UIDVALIDITY.
            await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
            var uid = Assert.Single(await client.Inbox.SearchAsync(SearchQuery.All));
            // The server's own bytes, as a check stores them.
            var raw = new MemoryStream();
            await (await client.Inbox.GetStreamAsync(uid)).CopyToAsync(raw);
            await fixture.Service<MessageImporter>().StoreAsync(mailboxId, client.Inbox.UidValidity + 1000, uid.Id, raw.ToArray(), CancellationToken.None);
            await fixture.Service<MessageImporter>().MarkServerChangeDoneAsync(mailboxId, client.Inbox.UidValidity + 1000, uid.Id, CancellationToken.None);
        }

        var run = await fixture.CheckAsync(mailboxId);

        Assert.True(run.Result!.Succeeded, run.Result.Failure?.Message);
        Assert.Equal(0, run.Result.Imported);
        Assert.Single(await fixture.ImportedAsync(mailboxId));
        using (var after = await fixture.Dovecot.ConnectAsync(user, password))
        {
            await after.Inbox.OpenAsync(FolderAccess.ReadOnly);
            Assert.Empty(await after.Inbox.SearchAsync(SearchQuery.NotSeen));
        }

        // The old message took its new number, so the next checks move on to new mail.
        await fixture.Dovecot.AppendAsync(user, password, "INBOX", MessageFlags.Seen, DovecotServer.Message("After the renumbering"));
        var next = await fixture.CheckAsync(mailboxId);
        Assert.Equal(1, next.Result!.Imported);
        Assert.Equal(2, (await fixture.ImportedAsync(mailboxId)).Count);
    }

    [Fact]
    public async Task AReadMessageThatFailedOnce_IsTriedAgain_EvenAfterLaterMessagesImported()
    {
        await ExecuteAsync("""
            CREATE OR REPLACE FUNCTION refuse_flaky() RETURNS trigger AS $$
            BEGIN
              IF NEW."Subject" = 'Flaky' THEN RAISE EXCEPTION 'database hiccup (simulated)'; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS refuse_flaky ON imported_messages;
            CREATE TRIGGER refuse_flaky BEFORE INSERT ON imported_messages FOR EACH ROW EXECUTE FUNCTION refuse_flaky();
            """);
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        await fixture.Dovecot.AppendAsync(user, password, "INBOX", MessageFlags.Seen, DovecotServer.Message("Flaky"), DovecotServer.Message("Fine"));
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password));

        CheckRun first;
        try
        {
            first = await fixture.CheckAsync(mailboxId);
        }
        finally
        {
            await ExecuteAsync("DROP TRIGGER IF EXISTS refuse_flaky ON imported_messages");
        }

        var second = await fixture.CheckAsync(mailboxId);

        Assert.Equal(1, first.Result!.Imported);
        Assert.Equal(1, second.Result!.Imported);
        Assert.True(second.Result.Succeeded, second.Result.Failure?.Message);
        Assert.Equal(["Flaky", "Fine"], (await fixture.ImportedAsync(mailboxId)).Select(m => m.Subject));
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        Assert.False(await db.ImportFailures.AnyAsync(f => f.MailboxId == mailboxId));
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task ACheckStoppedByAShutdown_IsClosedAsInterrupted_WithoutAnEvent()
    {
        await using var silent = new SilentListener();
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings("shutdown", "pw") with { ServerName = "127.0.0.1", ServerPort = silent.Port, Security = ConnectionSecurity.None });
        using var shutdown = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fixture.Service<MailboxCheckJob>().CheckAsync(mailboxId, manual: true, shutdown.Token));

        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var check = await db.MailboxChecks.SingleAsync(c => c.MailboxId == mailboxId);
        Assert.Equal(CheckOutcome.Interrupted, check.Outcome);
        Assert.NotNull(check.FinishedAt);
        Assert.False(await db.Events.AnyAsync(e => e.MailboxId == mailboxId));
    }

    private async Task<CheckRun> CheckAgainstAsync(string host, int port, ConnectionSecurity security)
    {
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings("nobody", "irrelevant") with
        {
            ServerName = host,
            ServerPort = port,
            Security = security,
        });
        return await fixture.CheckAsync(mailboxId);
    }

    private static void AssertEvent(CheckRun run, ImapEventType type, CheckErrorKind kind)
    {
        Assert.Equal(CheckRunStatus.Completed, run.Status);
        Assert.NotNull(run.Event);
        Assert.True(type == run.Event.Type && kind == run.Event.ErrorKind,
            $"Expected {type}/{kind}, got {run.Event.Type}/{run.Event.ErrorKind}: {run.Event.ErrorMessage}");
    }
}
