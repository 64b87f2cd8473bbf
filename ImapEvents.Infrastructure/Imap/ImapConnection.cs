using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ImapEvents.Core.Mailboxes;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;

namespace ImapEvents.Infrastructure.Imap;

/// <summary>
/// One connection to an IMAP server, for one check or one connection test, with the stages they share: connect,
/// log in, open the folder. It opens the socket itself, so that it can bound what the server may send (a step
/// reads no more than its allowance) and end the connection for certain when a step runs out of time.
/// </summary>
internal sealed class ImapConnection(ImapCheckOptions options) : IAsyncDisposable
{
    /// <summary>
    /// After login one step may read the mailbox's largest message plus this much: the IMAP framing around a
    /// message, and the answers to searching and listing commands (a UID takes a few bytes).
    /// </summary>
    public const long AfterLoginSlackBytes = 1024 * 1024;

    private Socket? socket;
    private LimitedReadStream? stream;
    private long afterLoginAllowance = AfterLoginSlackBytes;
    private string afterLoginExceeded = "";
    private bool loggedIn;
    private volatile bool aborted;
    private CertificateCheck? certificateCheck;

    public ImapClient Client { get; } = new() { Timeout = (int)options.StageTimeout.TotalMilliseconds };

    public TimeSpan StageTimeout => options.StageTimeout;

    /// <summary>Whether a step ran out of time and its socket was closed under the client.</summary>
    public bool Aborted => aborted;

    /// <summary>The certificate the server presented in the TLS handshake (on connect or after STARTTLS); null without TLS.</summary>
    public ServerCertificate? ServerCertificate => certificateCheck?.Certificate;

    /// <summary>
    /// Runs one step with the stage timeout, and tells a timeout apart from a cancelled job. A step that runs out of
    /// time has its connection closed, not only its token cancelled.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> step, CancellationToken cancellationToken)
    {
        if (loggedIn)
        {
            stream?.Allow(afterLoginAllowance, afterLoginExceeded);
        }

        var readBefore = stream?.TotalRead ?? 0;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(options.StageTimeout);
        // Cancelling alone is not enough: MailKit checks its token between reads, so a server that trickles a byte
        // at a time, or a read that does not watch the token, would keep the step going. A closed socket ends it.
        var abortOnTimeout = timer.Token.Register(() =>
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                Abort();
            }
        });
        T result;
        try
        {
            result = await step(timer.Token);
        }
        catch (Exception ex) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested && ReadLimitExceededException.FindIn(ex) is null)
        {
            throw TimedOut(readBefore, ex);
        }
        finally
        {
            // Waits for the timeout's callback if it is running right now.
            await abortOnTimeout.DisposeAsync();
        }

        // The step may have finished just as its time ran out, and its connection was closed under it.
        return aborted ? throw TimedOut(readBefore, null) : result;
    }

    public Task RunAsync(Func<CancellationToken, Task> step, CancellationToken cancellationToken) =>
        RunAsync(async token =>
        {
            await step(token);
            return true;
        }, cancellationToken);

    /// <exception cref="TlsFailureException">The TLS handshake failed; its message says why in the administrator's terms.</exception>
    /// <exception cref="ReadLimitExceededException">The server sent more before login than an IMAP greeting ever takes.</exception>
    public async Task ConnectAsync(Mailbox mailbox, CancellationToken cancellationToken)
    {
        var security = mailbox.Security switch
        {
            ConnectionSecurity.None => SecureSocketOptions.None,
            // Never "when available": a server that does not offer STARTTLS must fail, not downgrade.
            ConnectionSecurity.StartTls => SecureSocketOptions.StartTls,
            ConnectionSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        };
        var endpoint = $"{mailbox.ServerName}:{mailbox.ServerPort}";
        afterLoginAllowance = Math.Max(0, mailbox.MaxMessageSizeKilobytes) * 1024L + AfterLoginSlackBytes;
        afterLoginExceeded =
            $"The server sent more than {KiloBytes(afterLoginAllowance)} KB in answer to one command (the mailbox's message size limit plus 1 MB); " +
            "the connection was closed. A message larger than the server said it was does this; if you expect messages that large, raise the mailbox's size limit.";

        // Accepts what MailKit's default accepts (no policy error), or anything when the mailbox says so,
        // and remembers why a certificate was refused.
        var certificate = certificateCheck = new CertificateCheck(mailbox.ServerName, mailbox.AcceptUntrustedCertificate);
        Client.ServerCertificateValidationCallback = certificate.Validate;
        socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new DnsEndPoint(mailbox.ServerName, mailbox.ServerPort), cancellationToken);
        stream = new LimitedReadStream(socket);
        var beforeLogin = options.MaxKilobytesBeforeLogin * 1024L;
        stream.Allow(beforeLogin,
            $"The server sent more than {KiloBytes(beforeLogin)} KB before login, where an IMAP greeting and its capabilities take less than 1 KB; " +
            $"the connection was closed. Check that {endpoint} is an IMAP server and that the connection security is right.");
        try
        {
            // MailKit speaks IMAP, and TLS or STARTTLS, over the counted stream.
            await Client.ConnectAsync(stream, mailbox.ServerName, mailbox.ServerPort, security, cancellationToken);
        }
        catch (SslHandshakeException ex) when (cancellationToken.IsCancellationRequested)
        {
            // The stage ran out of time during the handshake (a server that accepts and says nothing):
            // a timeout, which the stage timer reports as such, not a TLS verdict.
            throw new OperationCanceledException("The TLS handshake got no answer in time.", ex, cancellationToken);
        }
        catch (SslHandshakeException ex) when (ex.GetBaseException() is TimeoutException or OperationCanceledException)
        {
            throw new TimeoutException("The TLS handshake got no answer in time.", ex);
        }
        catch (SslHandshakeException ex)
        {
            throw new TlsFailureException(TlsFailureText.Explain(mailbox, certificate, ex), ex);
        }
    }

    /// <exception cref="ReadLimitExceededException">The server sent more while logging in than a login ever takes.</exception>
    public async Task AuthenticateAsync(string username, string password, CancellationToken cancellationToken)
    {
        // MailKit lists the special folders (Sent, Trash…) as soon as the server accepts the login, inside this call,
        // and a server without SPECIAL-USE answers with every folder it has: room for that, still far from unbounded.
        var whileLoggingIn = options.MaxKilobytesBeforeLogin * 1024L + AfterLoginSlackBytes;
        stream?.Allow(whileLoggingIn,
            $"The server sent more than {KiloBytes(whileLoggingIn)} KB while logging in, where its answer and the list of folders that " +
            "follows take a few kilobytes; the connection was closed.");
        // One mechanism, one attempt: servers such as Dovecot delay every further failed attempt by
        // seconds, so trying each advertised mechanism in turn makes a wrong password slow to report.
        if (Client.AuthenticationMechanisms.Contains("PLAIN"))
        {
            await Client.AuthenticateAsync(new SaslMechanismPlain(username, password), cancellationToken);
        }
        else
        {
            await Client.AuthenticateAsync(username, password, cancellationToken);
        }

        // From here on each step has an allowance of its own, sized by the mailbox's message size limit.
        loggedIn = true;
    }

    public async Task<IMailFolder> OpenFolderAsync(string folderName, FolderAccess access, CancellationToken cancellationToken)
    {
        var folder = string.Equals(folderName, "INBOX", StringComparison.OrdinalIgnoreCase)
            ? Client.Inbox
            : await Client.GetFolderAsync(folderName, cancellationToken);
        await folder.OpenAsync(access, cancellationToken);
        return folder;
    }

    /// <summary>Closes the socket under the client: whatever it is reading or writing fails at once.</summary>
    private void Abort()
    {
        aborted = true;
        if (stream is { } counted)
        {
            counted.Abort();
        }
        else
        {
            socket?.Dispose();
        }
    }

    private StepTimedOutException TimedOut(long readBefore, Exception? inner) =>
        new(options.StageTimeout, (stream?.TotalRead ?? 0) - readBefore, inner);

    private static string KiloBytes(long bytes) => (bytes / 1024).ToString("#,0", CultureInfo.InvariantCulture);

    /// <summary>Logs out politely when the connection is still usable; a broken or aborted one is only closed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!aborted && Client.IsConnected)
        {
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Client.DisconnectAsync(true, quick.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException
                or ImapProtocolException or ImapCommandException or SocketException)
            {
                // The server is going away anyway; disposing closes the socket.
            }
        }

        Client.Dispose();
        stream?.Dispose();
        socket?.Dispose();
    }
}

/// <summary>A step of a check ran out of time; its connection was closed.</summary>
internal sealed class StepTimedOutException(TimeSpan timeout, long bytesReceived, Exception? innerException)
    : TimeoutException($"No answer within {timeout.TotalSeconds:0} seconds.", innerException)
{
    /// <summary>What the server sent during the step: nothing (it hung), or too little too slowly.</summary>
    public long BytesReceived => bytesReceived;
}
