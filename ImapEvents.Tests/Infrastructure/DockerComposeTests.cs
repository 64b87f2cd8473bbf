using System.Diagnostics;

namespace ImapEvents.Tests.Infrastructure;

public sealed class DockerComposeTests
{
    [Fact]
    public async Task TheComposeFile_IsValid()
    {
        var (exitCode, errors) = await ComposeConfigAsync(("POSTGRES_PASSWORD", "a-password-from-dot-env"));

        Assert.True(exitCode == 0, $"docker-compose config failed: {errors}");
    }

    [Fact]
    public async Task TheComposeFile_RefusesToStartWithoutADatabasePassword()
    {
        var (exitCode, errors) = await ComposeConfigAsync(("POSTGRES_PASSWORD", null));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("set POSTGRES_PASSWORD in .env", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheApp_ReadsTheKeyRingCertificate_FromAMountedSecret_ThatIsNeverBuiltIntoTheImage()
    {
        var (exitCode, errors, config) = await ComposeAsync(["config"], ("POSTGRES_PASSWORD", "a-password-from-dot-env"));

        Assert.True(exitCode == 0, $"docker-compose config failed: {errors}");
        Assert.Contains("DataProtection__CertificatePath: /run/secrets/key-ring-certificate", config, StringComparison.Ordinal);
        Assert.Matches(@"secrets:\s+key-ring-certificate:\s+file: \S*secrets/key-ring-certificate.pem", config);
        Assert.Contains("secrets/", File.ReadAllLines(Path.Combine(RepositoryRoot(), ".dockerignore")));
    }

    private static async Task<(int ExitCode, string Errors)> ComposeConfigAsync(params (string Name, string? Value)[] environment)
    {
        var (exitCode, errors, _) = await ComposeAsync(["config", "--quiet"], environment);
        return (exitCode, errors);
    }

    private static async Task<(int ExitCode, string Errors, string Output)> ComposeAsync(string[] command, params (string Name, string? Value)[] environment)
    {
        var root = RepositoryRoot();
        // An empty env file, so a developer's own .env does not change the outcome.
        var emptyEnvFile = Path.GetTempFileName();
        var start = new ProcessStartInfo("docker-compose", ["--env-file", emptyEnvFile, "-f", Path.Combine(root, "docker-compose.yml"), .. command])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = root,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("docker-compose is not installed: scripts/test.sh installs it (apt-get install docker-compose).", ex);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            File.Delete(emptyEnvFile);
            return (process.ExitCode, errors, await output);
        }
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ImapEvents.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root (with ImapEvents.sln) was not found.");
    }
}
