using System.Security.Cryptography.X509Certificates;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// The tests' Dovecot: the one scripts/test.sh started on loopback (IMAPEVENTS_TEST_IMAP_* variables),
/// or, for contributors with Docker, a container built from scripts/lib/dovecot.Dockerfile. Never a
/// skip: without either, the tests fail and say what to do.
/// </summary>
public sealed class DovecotServer
{
    private static readonly Lazy<Task<DovecotServer>> Instance = new(StartAsync);

    private readonly Func<string, Task> addUserLine;

    private DovecotServer(string host, int port, int tlsPort, X509Certificate2 certificate, Func<string, Task> addUserLine)
    {
        Host = host;
        Port = port;
        TlsPort = tlsPort;
        Certificate = certificate;
        this.addUserLine = addUserLine;
    }

    public string Host { get; }

    /// <summary>Plain IMAP, STARTTLS offered.</summary>
    public int Port { get; }

    /// <summary>IMAP over TLS from the first byte.</summary>
    public int TlsPort { get; }

    /// <summary>The server's self-signed certificate, for tests that trust it explicitly.</summary>
    public X509Certificate2 Certificate { get; }

    private static readonly SemaphoreSlim UsersFileLock = new(1, 1);

    /// <summary>
    /// A fresh account for one test: Dovecot allows 10 connections per user and address, and a test
    /// must not see another test's mail. Dovecot re-reads the users file when it changes.
    /// </summary>
    public async Task<(string Username, string Password)> CreateAccountAsync()
    {
        var username = $"u{Guid.NewGuid():N}"[..16];
        var password = $"pw-{Guid.NewGuid():N}";
        await UsersFileLock.WaitAsync();
        try
        {
            await addUserLine($"{username}:{{PLAIN}}{password}");
        }
        finally
        {
            UsersFileLock.Release();
        }

        // Returns once Dovecot knows the account, so the code under test never races the reload.
        using var client = await ConnectAsync(username, password);
        await client.DisconnectAsync(true);
        return (username, password);
    }

    /// <summary>A client logged in to the account, for putting mail in place and looking at the result.</summary>
    public async Task<ImapClient> ConnectAsync(string username, string password)
    {
        var client = new ImapClient { Timeout = 10_000 };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await client.ConnectAsync(Host, Port, SecureSocketOptions.None, timeout.Token);
        // The users file was just written; Dovecot notices the change on the next login, retry briefly.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await client.AuthenticateAsync(new SaslMechanismPlain(username, password), timeout.Token);
                return client;
            }
            catch (AuthenticationException) when (attempt < 20)
            {
                await Task.Delay(100, timeout.Token);
            }
        }
    }

    public Task AppendAsync(string username, string password, string folderName, params MimeMessage[] messages) =>
        AppendAsync(username, password, folderName, MessageFlags.None, messages);

    public async Task AppendAsync(string username, string password, string folderName, MessageFlags flags, params MimeMessage[] messages)
    {
        using var client = await ConnectAsync(username, password);
        var folder = await GetOrCreateFolderAsync(client, folderName);
        foreach (var message in messages)
        {
            await folder.AppendAsync(message, flags);
        }

        await client.DisconnectAsync(true);
    }

    public static async Task<IMailFolder> GetOrCreateFolderAsync(ImapClient client, string folderName)
    {
        if (string.Equals(folderName, "INBOX", StringComparison.OrdinalIgnoreCase))
        {
            return client.Inbox;
        }

        try
        {
            return await client.GetFolderAsync(folderName);
        }
        catch (FolderNotFoundException)
        {
            var root = client.GetFolder(client.PersonalNamespaces[0]);
            return (await root.CreateAsync(folderName, isMessageFolder: true))!;
        }
    }

    public static MimeMessage Message(string subject, string body = "Hello from the tests.", int paddingBytes = 0)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Customer", "customer@example.test"));
        message.To.Add(new MailboxAddress("Support", "support@example.test"));
        message.Subject = subject;
        message.MessageId = $"{Guid.NewGuid():N}@example.test";
        message.Date = new DateTimeOffset(2026, 11, 27, 9, 30, 0, TimeSpan.Zero);
        message.Body = new TextPart("plain") { Text = body + new string('x', paddingBytes) };
        return message;
    }

    public static Task<DovecotServer> GetAsync() => Instance.Value;

    private static async Task<DovecotServer> StartAsync()
    {
        var host = Environment.GetEnvironmentVariable("IMAPEVENTS_TEST_IMAP_HOST");
        if (!string.IsNullOrEmpty(host))
        {
            string Required(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException($"IMAPEVENTS_TEST_IMAP_HOST is set but {name} is not; scripts/test.sh sets them all.");

            var usersFile = Required("IMAPEVENTS_TEST_IMAP_USERS_FILE");
            return new DovecotServer(
                host,
                int.Parse(Required("IMAPEVENTS_TEST_IMAP_PORT"), System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(Required("IMAPEVENTS_TEST_IMAPS_PORT"), System.Globalization.CultureInfo.InvariantCulture),
                X509CertificateLoader.LoadCertificateFromFile(Required("IMAPEVENTS_TEST_IMAP_CERT")),
                line => File.AppendAllTextAsync(usersFile, line + "\n"));
        }

        try
        {
            return await StartContainerAsync();
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException(
                "No IMAP server for the tests. Run them with scripts/test.sh (it installs and starts Dovecot on loopback), " +
                "set the IMAPEVENTS_TEST_IMAP_* variables, or install Docker so the tests can build and start a Dovecot container.", ex);
        }
    }

    private static async Task<DovecotServer> StartContainerAsync()
    {
        var root = Infrastructure.DockerComposeTests.RepositoryRoot();
        var image = new DotNet.Testcontainers.Builders.ImageFromDockerfileBuilder()
            .WithDockerfileDirectory(Path.Combine(root, "scripts", "lib"))
            .WithDockerfile("dovecot.Dockerfile")
            .WithName("imapevents-test-dovecot:latest")
            .WithCleanUp(false)
            .Build();
        await image.CreateAsync();

        var container = new DotNet.Testcontainers.Builders.ContainerBuilder(image)
            .WithPortBinding(143, assignRandomHostPort: true)
            .WithPortBinding(993, assignRandomHostPort: true)
            .WithWaitStrategy(DotNet.Testcontainers.Builders.Wait.ForUnixContainer().UntilMessageIsLogged("starting up"))
            .Build();
        await container.StartAsync();

        var certificate = X509CertificateLoader.LoadCertificate(await container.ReadFileAsync("/srv/test/cert.pem"));
        return new DovecotServer(
            container.Hostname,
            container.GetMappedPublicPort(143),
            container.GetMappedPublicPort(993),
            certificate,
            async line =>
            {
                var result = await container.ExecAsync(["sh", "-c", $"echo '{line}' >> /srv/test/users"]);
                if (result.ExitCode != 0)
                {
                    throw new InvalidOperationException($"Could not add a test account in the Dovecot container: {result.Stderr}");
                }
            });
    }
}
