using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ImapEvents.Core.Mailboxes;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// A TLS front on loopback for the real Dovecot, with a certificate the test made: TLS from the first byte, or after
/// STARTTLS, and the plain IMAP inside relayed to Dovecot's plain port. How a test puts a certificate with any expiry
/// in front of a real server without changing the server's configuration.
/// </summary>
public sealed class TlsFrontProxy : LoopbackTcpServer
{
    private const string CapabilitiesBeforeTls = "IMAP4rev1 STARTTLS LOGINDISABLED";

    private readonly string targetHost;
    private readonly int targetPort;
    private readonly X509Certificate2 certificate;
    private readonly bool startTls;

    public TlsFrontProxy(string targetHost, int targetPort, X509Certificate2 certificate, ConnectionSecurity security)
    {
        if (security == ConnectionSecurity.None)
        {
            throw new ArgumentException("A TLS front speaks TLS: choose SSL/TLS on connect or STARTTLS.", nameof(security));
        }

        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.certificate = certificate;
        startTls = security == ConnectionSecurity.StartTls;
        Start();
    }

    protected override async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                if (startTls && !await OfferStartTlsAsync(stream))
                {
                    return;
                }

                await using var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, Stopping);
                using var server = new TcpClient();
                await server.ConnectAsync(targetHost, targetPort, Stopping);
                var serverStream = server.GetStream();
                if (startTls)
                {
                    // The client had the front's greeting before STARTTLS, and expects none after it.
                    await ReadLineAsync(serverStream);
                }

                // Either side ending ends both.
                await Task.WhenAny(tls.CopyToAsync(serverStream, Stopping), serverStream.CopyToAsync(tls, Stopping));
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException or AuthenticationException)
            {
                // The client went away or refused the certificate: that connection is over.
            }
        }
    }

    /// <summary>Plays the server up to STARTTLS: a greeting, CAPABILITY, the go-ahead. False when the client leaves first.</summary>
    private static async Task<bool> OfferStartTlsAsync(Stream stream)
    {
        await WriteAsync(stream, $"* OK [CAPABILITY {CapabilitiesBeforeTls}] TLS front ready.\r\n");
        while (await ReadLineAsync(stream) is { } line)
        {
            var words = line.Split(' ', 3);
            var tag = words[0];
            switch (words.Length > 1 ? words[1].ToUpperInvariant() : "")
            {
                case "STARTTLS":
                    await WriteAsync(stream, $"{tag} OK Begin TLS negotiation now.\r\n");
                    return true;
                case "CAPABILITY":
                    await WriteAsync(stream, $"* CAPABILITY {CapabilitiesBeforeTls}\r\n{tag} OK Capability completed.\r\n");
                    break;
                case "LOGOUT":
                    await WriteAsync(stream, $"* BYE Logging out\r\n{tag} OK Logout completed.\r\n");
                    return false;
                default:
                    await WriteAsync(stream, $"{tag} BAD Only STARTTLS here before TLS.\r\n");
                    break;
            }
        }

        return false;
    }

    /// <summary>Byte by byte, so that nothing after the line (the client's TLS hello) is read into a buffer here.</summary>
    private static async Task<string?> ReadLineAsync(Stream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (line.Length < 8192)
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return null;
            }

            if (one[0] == '\n')
            {
                return line.ToString().TrimEnd('\r');
            }

            line.Append((char)one[0]);
        }

        return null;
    }

    private static Task WriteAsync(Stream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();
}
