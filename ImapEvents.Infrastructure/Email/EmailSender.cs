using System.Net.Sockets;
using ImapEvents.Core.Email;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Core.Text;
using ImapEvents.Infrastructure.Actions;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace ImapEvents.Infrastructure.Email;

/// <param name="Errors">Problems with the form, keyed by its labels; empty when the email was tried.</param>
/// <param name="Sent">How sending went, when it was tried.</param>
public sealed record SmtpTestResult(IReadOnlyDictionary<string, string> Errors, SendResult? Sent);

/// <summary>Sends one message through the SMTP server on the Settings page, and says plainly why it could not.</summary>
public sealed class EmailSender(SmtpSettingsStore settingsStore, IOptions<ActionOptions> options, TimeProvider time)
{
    public const string NotConfigured = "No SMTP server is configured. Set one on the Settings page; the email is retried.";

    public const string TestRecipient = "Test recipient";

    /// <param name="build">Fills in the message; From is set from the settings.</param>
    public async Task<SendResult> SendAsync(Action<MimeMessage> build, CancellationToken cancellationToken)
    {
        var settings = await settingsStore.GetAsync(cancellationToken);
        if (!settings.IsConfigured)
        {
            return SendResult.Failed(NotConfigured);
        }

        var password = settingsStore.PasswordOf(settings);
        if (settings.Username is not null && password is null)
        {
            return SendResult.Failed("The SMTP password cannot be read (the data-protection key ring changed). Enter it again on the Settings page.");
        }

        return await SendAsync(settings, password, build, cancellationToken);
    }

    /// <summary>
    /// "Send test email" with the settings as typed, before they are saved. The stored password is only
    /// used for the server, port, security and username it was saved for.
    /// </summary>
    public async Task<SmtpTestResult> SendTestAsync(SmtpSettings draft, string? newPassword, string recipient, CancellationToken cancellationToken)
    {
        var stored = await settingsStore.GetAsync(cancellationToken);
        var (settings, formErrors) = SmtpSettingsValidation.Revise(stored, draft, newPassword);
        var errors = new Dictionary<string, string>(formErrors, StringComparer.Ordinal);
        if (EmailAddresses.Problem(recipient) is { } recipientProblem)
        {
            errors[TestRecipient] = recipientProblem;
        }

        if (errors.Count > 0)
        {
            return new SmtpTestResult(errors, null);
        }

        var password = string.IsNullOrEmpty(newPassword) ? settingsStore.PasswordOf(settings) : newPassword;
        var sent = await SendAsync(settings, password, message =>
        {
            message.To.Add(MailboxAddress.Parse(recipient.Trim()));
            message.Subject = "ImapEvents test email";
            message.Body = new TextPart("plain")
            {
                Text = $"This is a test email from ImapEvents, sent {time.GetUtcNow():yyyy-MM-dd HH:mm:ss} UTC through {settings.Host}:{settings.Port}.\n\n"
                    + "If you can read it, Send Email actions will reach their recipients.",
            };
        }, cancellationToken);
        return new SmtpTestResult(new Dictionary<string, string>(), sent);
    }

    private async Task<SendResult> SendAsync(SmtpSettings settings, string? password, Action<MimeMessage> build, CancellationToken cancellationToken)
    {
        using var message = new MimeMessage();
        var timeout = options.Value.SmtpTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        // The deadline above is the one that counts; MailKit's own read timeout is only a backstop.
        using var client = new RecipientTolerantSmtpClient { Timeout = (int)(timeout + TimeSpan.FromSeconds(5)).TotalMilliseconds };
        var where = $"{settings.Host}:{settings.Port}";
        try
        {
            message.From.Add(new MailboxAddress(settings.FromName ?? "ImapEvents", settings.FromAddress));
            // RFC 3834: auto-responders and vacation replies leave alerts alone.
            message.Headers.Add("Auto-Submitted", "auto-generated");
            build(message);

            var security = settings.Security switch
            {
                ConnectionSecurity.None => SecureSocketOptions.None,
                ConnectionSecurity.StartTls => SecureSocketOptions.StartTls,
                ConnectionSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
            };
            await client.ConnectAsync(settings.Host, settings.Port, security, deadline.Token);
            if (settings.Username is not null && password is not null)
            {
                await client.AuthenticateAsync(settings.Username, password, deadline.Token);
            }

            await client.SendAsync(message, deadline.Token);
        }
        catch (Exception ex) when ((ex is OperationCanceledException && !cancellationToken.IsCancellationRequested) || ex is TimeoutException)
        {
            return SendResult.Failed($"The SMTP server {where} did not answer within {timeout.TotalSeconds:0} s.");
        }
        catch (AuthenticationException ex)
        {
            return SendResult.Failed($"The SMTP server {where} refused the username or password: {Sentence.End(ex.Message)} Check them on the Settings page.");
        }
        catch (SmtpCommandException ex) when ((int)ex.StatusCode >= 500)
        {
            // 5xx is the server's final answer for this message (every recipient refused, the sender refused).
            return SendResult.Failed($"The SMTP server {where} refused the email: {(int)ex.StatusCode} {ex.Message}", permanent: true);
        }
        catch (SmtpCommandException ex)
        {
            return SendResult.Failed($"The SMTP server {where} deferred the email: {(int)ex.StatusCode} {ex.Message}");
        }
        catch (SslHandshakeException ex)
        {
            return SendResult.Failed($"The TLS handshake with {where} failed: {Sentence.End(ex.Message)} Check Connection Security and the port on the Settings page.");
        }
        catch (NotSupportedException ex)
        {
            // No STARTTLS or no AUTH on offer: the settings do not fit this server.
            return SendResult.Failed($"The SMTP server {where} does not support what the settings ask for: {Sentence.End(ex.Message)} Check Connection Security and Username on the Settings page.");
        }
        catch (AllRecipientsRefusedException ex)
        {
            return SendResult.Failed(ex.Final ? $"{Sentence.End(ex.Message)} Check the addresses." : ex.Message, permanent: ex.Final);
        }
        catch (ParseException ex)
        {
            return SendResult.Failed($"An email address could not be read: {ex.Message}", permanent: true);
        }
        catch (Exception ex) when (ex is SocketException or IOException or SmtpProtocolException or ServiceNotConnectedException)
        {
            return SendResult.Failed($"Could not send through the SMTP server {where}: {ex.Message}");
        }

        try
        {
            await client.DisconnectAsync(quit: true, deadline.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or SmtpProtocolException or TimeoutException)
        {
            // The server has the message; a QUIT that goes astray must not make it look unsent (and send it again).
        }

        return client.Refused.Count == 0
            ? SendResult.Ok
            // Delivered to the others: one address that no longer exists must not stop every alert.
            : new SendResult(true, null, $"Sent, but the SMTP server refused {string.Join("; ", client.Refused)}.");
    }

    /// <summary>Goes on with the other recipients when the server refuses one (MailKit would give up on the whole message).</summary>
    private sealed class RecipientTolerantSmtpClient : SmtpClient
    {
        public List<string> Refused { get; } = [];

        /// <summary>Whether every refusal was final (5xx); a 4xx may pass on a later try.</summary>
        public bool AllRefusalsFinal { get; private set; } = true;

        protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
        {
            Refused.Add($"{mailbox.Address} ({(int)response.StatusCode} {response.Response})");
            AllRefusalsFinal &= (int)response.StatusCode >= 500;
        }

        protected override void OnNoRecipientsAccepted(MimeMessage message) => throw new AllRecipientsRefusedException(Refused, AllRefusalsFinal);
    }

    private sealed class AllRecipientsRefusedException(IEnumerable<string> refused, bool final)
        : Exception($"The SMTP server refused every recipient: {string.Join("; ", refused)}.")
    {
        public bool Final { get; } = final;
    }
}
