using ImapEvents.Core.Mailboxes;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;

namespace ImapEvents.Infrastructure.Imap;

/// <summary>The first stages every check and every connection test share: connect, log in, open the folder.</summary>
internal static class ImapConnection
{
    public static ImapClient CreateClient(TimeSpan stepTimeout) => new() { Timeout = (int)stepTimeout.TotalMilliseconds };

    /// <exception cref="TlsFailureException">The TLS handshake failed; its message says why in the administrator's terms.</exception>
    public static async Task ConnectAsync(ImapClient client, Mailbox mailbox, CancellationToken cancellationToken)
    {
        var options = mailbox.Security switch
        {
            ConnectionSecurity.None => SecureSocketOptions.None,
            // Never "when available": a server that does not offer STARTTLS must fail, not downgrade.
            ConnectionSecurity.StartTls => SecureSocketOptions.StartTls,
            ConnectionSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        };
        // Accepts what MailKit's default accepts (no policy error), or anything when the mailbox says so,
        // and remembers why a certificate was refused.
        var certificate = new CertificateCheck(mailbox.ServerName, mailbox.AcceptUntrustedCertificate);
        client.ServerCertificateValidationCallback = certificate.Validate;
        try
        {
            await client.ConnectAsync(mailbox.ServerName, mailbox.ServerPort, options, cancellationToken);
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

    public static Task AuthenticateAsync(ImapClient client, string username, string password, CancellationToken cancellationToken)
    {
        // One mechanism, one attempt: servers such as Dovecot delay every further failed attempt by
        // seconds, so trying each advertised mechanism in turn makes a wrong password slow to report.
        if (client.AuthenticationMechanisms.Contains("PLAIN"))
        {
            return client.AuthenticateAsync(new SaslMechanismPlain(username, password), cancellationToken);
        }

        return client.AuthenticateAsync(username, password, cancellationToken);
    }

    public static async Task<IMailFolder> OpenFolderAsync(ImapClient client, string folderName, FolderAccess access, CancellationToken cancellationToken)
    {
        var folder = string.Equals(folderName, "INBOX", StringComparison.OrdinalIgnoreCase)
            ? client.Inbox
            : await client.GetFolderAsync(folderName, cancellationToken);
        await folder.OpenAsync(access, cancellationToken);
        return folder;
    }

    /// <summary>Logs out politely when the connection is still usable; a broken client is only disposed.</summary>
    public static async Task CloseAsync(ImapClient client)
    {
        if (!client.IsConnected)
        {
            return;
        }

        try
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.DisconnectAsync(true, quick.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ImapProtocolException or ImapCommandException or System.Net.Sockets.SocketException)
        {
            // The server is going away anyway; disposing the client closes the socket.
        }
    }
}

/// <summary>Runs one step with the stage timeout, and tells a timeout apart from a cancelled job.</summary>
internal sealed class StepTimer(TimeSpan timeout)
{
    public TimeSpan Timeout => timeout;

    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> step, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            return await step(timer.Token);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new StepTimedOutException(timeout);
        }
    }

    public Task RunAsync(Func<CancellationToken, Task> step, CancellationToken cancellationToken) =>
        RunAsync(async token =>
        {
            await step(token);
            return true;
        }, cancellationToken);
}

internal sealed class StepTimedOutException(TimeSpan timeout)
    : TimeoutException($"No answer within {timeout.TotalSeconds:0} seconds.");
