using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using ImapEvents.Infrastructure.KeyRing;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.Infrastructure;

public sealed class DataProtectionTests : IAsyncLifetime
{
    private readonly TestDatabase database = new();
    private readonly string directory = Directory.CreateTempSubdirectory("imapevents-key-ring-").FullName;

    public Task InitializeAsync() => database.InitializeAsync();

    public async Task DisposeAsync()
    {
        await database.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task TheKeyRing_LivesInPostgreSql_SoAnotherInstanceCanUnprotect()
    {
        await using var first = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin());
        await using var second = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin());

        var protectedText = Protector(first).Protect("a secret");
        var unprotected = Protector(second).Unprotect(protectedText);

        Assert.Equal("a secret", unprotected);
        // Both test instances share a content root, which would match anyway; real instances rely on the fixed name.
        Assert.Equal("ImapEvents", first.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DataProtectionOptions>>().Value.ApplicationDiscriminator);
        Assert.NotEmpty(await KeysAsync());
    }

    [Fact]
    public async Task WithACertificate_TheDatabaseAloneCannotReadTheSecrets()
    {
        var certificate = CreateCertificate("current.pem");
        await using var app = new ImapEventsApp(database.ConnectionString, WithCertificate(certificate));
        var protectedText = Protector(app).Protect("a mailbox password");

        var keys = await KeysAsync();
        Assert.NotEmpty(keys);
        Assert.All(keys, key =>
        {
            Assert.DoesNotContain(XElement.Parse(key).Descendants(), KeyRingProtection.RequiresWrapping);
            Assert.Contains("encryptedSecret", key, StringComparison.Ordinal);
        });

        // Another instance with the certificate reads it; one with only the database does not.
        await using var withCertificate = new ImapEventsApp(database.ConnectionString, WithCertificate(certificate));
        Assert.Equal("a mailbox password", Protector(withCertificate).Unprotect(protectedText));
        await using var withoutCertificate = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin());
        Assert.ThrowsAny<CryptographicException>(() => Protector(withoutCertificate).Unprotect(protectedText));
    }

    [Fact]
    public async Task KeysStoredInTheClear_AreWrappedInPlace_WhenACertificateIsSet_AndOldSecretsStayReadable()
    {
        string protectedText;
        await using (var before = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin()))
        {
            protectedText = Protector(before).Protect("entered before the certificate");
        }

        Assert.Contains(await KeysAsync(), key => XElement.Parse(key).Descendants().Any(KeyRingProtection.RequiresWrapping));

        var certificate = CreateCertificate("current.pem");
        await using var after = new ImapEventsApp(database.ConnectionString, WithCertificate(certificate));
        Assert.Equal("entered before the certificate", Protector(after).Unprotect(protectedText));

        Assert.All(await KeysAsync(), key => Assert.DoesNotContain(XElement.Parse(key).Descendants(), KeyRingProtection.RequiresWrapping));
        Assert.Contains(after.Logs.Lines, message => message.Contains("Protected 1 key(s) of the key ring", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARotatedCertificate_TakesOverTheKeys_WithThePreviousOneForOneStart()
    {
        var old = CreateCertificate("old.pem");
        string protectedText;
        await using (var before = new ImapEventsApp(database.ConnectionString, WithCertificate(old)))
        {
            protectedText = Protector(before).Protect("entered under the old certificate");
        }

        var current = CreateCertificate("current.pem");
        await using (var rotating = new ImapEventsApp(database.ConnectionString, WithCertificate(current, ("DataProtection:PreviousCertificatePaths:0", old))))
        {
            Assert.Equal("entered under the old certificate", Protector(rotating).Unprotect(protectedText));
        }

        // The old certificate is no longer needed: the keys are wrapped for the new one.
        File.Delete(old);
        await using var after = new ImapEventsApp(database.ConnectionString, WithCertificate(current));
        Assert.Equal("entered under the old certificate", Protector(after).Unprotect(protectedText));
    }

    [Fact]
    public async Task ARotationWithoutThePreviousCertificate_IsRefused_InWordsThatSayWhatToDo()
    {
        var old = CreateCertificate("old.pem");
        await using (var before = new ImapEventsApp(database.ConnectionString, WithCertificate(old)))
        {
            Protector(before).Protect("entered under the old certificate");
        }

        var (exitCode, output) = await RunProductionAppAsync(new Dictionary<string, string>
        {
            ["DataProtection__CertificatePath"] = CreateCertificate("current.pem"),
        });

        Assert.Equal(1, exitCode);
        Assert.Contains("is protected by the certificate", output, StringComparison.Ordinal);
        Assert.Contains("DataProtection__PreviousCertificatePaths__0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InProduction_AnUnprotectedRing_IsRefused_UnlessExplicitlyAllowed()
    {
        var (refusedExit, refusedOutput) = await RunProductionAppAsync(new Dictionary<string, string>());
        Assert.Equal(1, refusedExit);
        Assert.Contains("ImapEvents did not start: The Data Protection key ring would be stored unprotected", refusedOutput, StringComparison.Ordinal);
        Assert.Contains("DataProtection__CertificatePath", refusedOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refusedOutput, StringComparison.Ordinal);

        var (missingExit, missingOutput) = await RunProductionAppAsync(new Dictionary<string, string>
        {
            ["DataProtection__CertificatePath"] = Path.Combine(directory, "absent.pem"),
        });
        Assert.Equal(1, missingExit);
        Assert.Contains("absent.pem, which does not exist", missingOutput, StringComparison.Ordinal);

        var (allowedExit, allowedOutput) = await RunProductionAppAsync(new Dictionary<string, string>
        {
            ["DataProtection__AllowUnprotectedKeys"] = "true",
        });
        Assert.True(allowedExit == 0, allowedOutput);
        Assert.Contains("DataProtection__AllowUnprotectedKeys is set", allowedOutput, StringComparison.Ordinal);
    }

    /// <summary>Starts the built app as a real Production process; it is stopped as soon as it is healthy.</summary>
    private async Task<(int ExitCode, string Output)> RunProductionAppAsync(Dictionary<string, string> settings)
    {
        var (start, port) = AppProcess.StartInfo(database.ConnectionString, new Dictionary<string, string>(settings)
        {
            ["App__WorkerOnly"] = "true",
            ["Jobs__RunServer"] = "false",
        });

        using var process = Process.Start(start) ?? throw new InvalidOperationException("The app did not start.");
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!process.HasExited && DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{port}/healthz")).IsSuccessStatusCode)
                {
                    process.Kill();
                    await process.WaitForExitAsync();
                    lock (output)
                    {
                        return (0, output.ToString());
                    }
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        if (!process.HasExited)
        {
            process.Kill();
        }

        await process.WaitForExitAsync();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    private static IDataProtector Protector(ImapEventsApp app) =>
        app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test");

    private async Task<List<string>> KeysAsync()
    {
        await using var db = new AppDbContext(new DbContextOptionsBuilder<AppDbContext>().UseNpgsql(database.ConnectionString).Options);
        return await db.DataProtectionKeys.Select(key => key.Xml!).ToListAsync();
    }

    private static IReadOnlyDictionary<string, string?> WithCertificate(string path, params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["DataProtection:CertificatePath"] = path };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return ImapEventsApp.WithBootstrapAdmin(settings);
    }

    /// <summary>A PEM file with a self-signed RSA certificate and its key, as scripts/new-key-certificate.sh makes.</summary>
    private string CreateCertificate(string name)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN=ImapEvents test {name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n" + rsa.ExportPkcs8PrivateKeyPem() + "\n");
        return path;
    }
}
