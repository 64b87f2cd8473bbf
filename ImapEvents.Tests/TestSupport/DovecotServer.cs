using System.Security.Cryptography.X509Certificates;

namespace ImapEvents.Tests.TestSupport;

/// <summary>The Dovecot that scripts/test.sh started on loopback, described by IMAPEVENTS_TEST_IMAP_* variables.</summary>
public sealed class DovecotServer
{
    private DovecotServer(string host, int port, int tlsPort, string usersFile, string certificateFile)
    {
        Host = host;
        Port = port;
        TlsPort = tlsPort;
        UsersFile = usersFile;
        Certificate = X509CertificateLoader.LoadCertificateFromFile(certificateFile);
    }

    public string Host { get; }

    /// <summary>Plain IMAP, STARTTLS offered.</summary>
    public int Port { get; }

    /// <summary>IMAP over TLS from the first byte.</summary>
    public int TlsPort { get; }

    public string UsersFile { get; }

    /// <summary>The server's self-signed certificate, for tests that trust it explicitly.</summary>
    public X509Certificate2 Certificate { get; }

    public static DovecotServer FromEnvironment()
    {
        string Required(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"No IMAP server for the tests: {name} is not set. Run the tests with scripts/test.sh, which installs and starts Dovecot on loopback.");

        return new DovecotServer(
            Required("IMAPEVENTS_TEST_IMAP_HOST"),
            int.Parse(Required("IMAPEVENTS_TEST_IMAP_PORT"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Required("IMAPEVENTS_TEST_IMAPS_PORT"), System.Globalization.CultureInfo.InvariantCulture),
            Required("IMAPEVENTS_TEST_IMAP_USERS_FILE"),
            Required("IMAPEVENTS_TEST_IMAP_CERT"));
    }
}
