using System.Data.Common;
using System.Net.Sockets;
using System.Security.Authentication;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using AuthenticationException = MailKit.Security.AuthenticationException;

namespace ImapEvents.Infrastructure.Imap;

/// <summary>Why a check failed: the stage that raises the event, what kind of failure, and words for a person.</summary>
public sealed record CheckFailure(CheckStage Stage, CheckErrorKind Kind, string Message)
{
    /// <summary>The longest message kept: the length of the columns it is stored in.</summary>
    public const int MaxMessageLength = 2000;

    /// <summary>Much of it is the server's own words, and the server may be hostile: made storable here, once for every path.</summary>
    public string Message { get; init; } = StoredText.Clip(Message, MaxMessageLength);

    /// <summary>
    /// Classifies an exception thrown while the check was in <paramref name="stage"/>. Anything that goes
    /// wrong before the login succeeded, other than the server refusing the login, is a connection failure.
    /// </summary>
    public static CheckFailure From(CheckStage stage, Exception exception, bool timedOut, TimeSpan timeout)
    {
        var kind = KindOf(exception, timedOut);
        var eventStage = stage switch
        {
            CheckStage.Connect => CheckStage.Connect,
            CheckStage.Authenticate => kind is CheckErrorKind.CredentialsRejected or CheckErrorKind.AuthenticationMechanism
                ? CheckStage.Authenticate
                : CheckStage.Connect,
            CheckStage.Download => CheckStage.Download,
            CheckStage.Import => CheckStage.Import,
        };

        var message = kind switch
        {
            CheckErrorKind.Timeout when exception is StepTimedOutException { BytesReceived: > 0 } slow =>
                $"The server sent only {slow.BytesReceived} byte(s) in {timeout.TotalSeconds:0} seconds, too slowly to finish the " +
                $"{stage.DisplayName().ToLowerInvariant()} stage; the connection was closed.",
            CheckErrorKind.Timeout => $"No answer from the server within {timeout.TotalSeconds:0} seconds ({stage.DisplayName().ToLowerInvariant()} stage).",
            // Already in the administrator's terms, with what to change.
            CheckErrorKind.TooMuchData => ReadLimitExceededException.FindIn(exception)!.Message,
            _ when exception is TlsFailureException => exception.Message,
            _ => $"{Describe(kind)}: {exception.Message}",
        };
        return new CheckFailure(eventStage, kind, message);
    }

    private static CheckErrorKind KindOf(Exception exception, bool timedOut)
    {
        // Before the timeout: the limit closes the connection, and what follows may look like a broken one.
        if (ReadLimitExceededException.FindIn(exception) is not null)
        {
            return CheckErrorKind.TooMuchData;
        }

        if (timedOut || exception is TimeoutException)
        {
            return CheckErrorKind.Timeout;
        }

        return exception switch
        {
            AuthenticationException => CheckErrorKind.CredentialsRejected,
            TlsFailureException or SslHandshakeException or System.Security.Authentication.AuthenticationException => CheckErrorKind.TlsHandshake,
            SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain } => CheckErrorKind.HostNotFound,
            SocketException { SocketErrorCode: SocketError.ConnectionRefused } => CheckErrorKind.ConnectionRefused,
            SocketException { SocketErrorCode: SocketError.TimedOut } => CheckErrorKind.Timeout,
            FolderNotFoundException => CheckErrorKind.FolderNotFound,
            ImapCommandException => CheckErrorKind.CommandFailed,
            ImapProtocolException => CheckErrorKind.Protocol,
            ParseException or FormatException => CheckErrorKind.InvalidMessage,
            DbException or DbUpdateException => CheckErrorKind.Database,
            SocketException or IOException => CheckErrorKind.Network,
            NotSupportedException => CheckErrorKind.AuthenticationMechanism,
            _ => CheckErrorKind.Unexpected,
        };
    }

    private static string Describe(CheckErrorKind kind) => kind switch
    {
        CheckErrorKind.HostNotFound => "The server name does not resolve",
        CheckErrorKind.ConnectionRefused => "The server refused the connection (is the port right?)",
        CheckErrorKind.TlsHandshake => "The TLS handshake failed (check the connection security and the certificate)",
        CheckErrorKind.Network => "The connection broke",
        CheckErrorKind.Protocol => "The server's answer was not valid IMAP",
        CheckErrorKind.CredentialsRejected => "The server rejected the username or password",
        CheckErrorKind.AuthenticationMechanism => "No login method both sides support",
        CheckErrorKind.FolderNotFound => "The folder does not exist",
        CheckErrorKind.CommandFailed => "The server refused a command",
        CheckErrorKind.MessageTooLarge => "A message is over the size limit",
        CheckErrorKind.InvalidMessage => "A message could not be parsed",
        CheckErrorKind.Database => "The message could not be stored",
        CheckErrorKind.ServerUpdate => "The server copy could not be updated",
        CheckErrorKind.Timeout => "Timed out",
        CheckErrorKind.PasswordUnreadable => "The stored password cannot be decrypted",
        CheckErrorKind.TooMuchData => "The server sent too much",
        CheckErrorKind.None or CheckErrorKind.Unexpected => "Unexpected error",
    };
}
