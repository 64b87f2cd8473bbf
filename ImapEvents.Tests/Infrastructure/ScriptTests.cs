using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>The project's own shell scripts (scripts/lib/services.sh), run as the README's commands run them.</summary>
public sealed class ScriptTests
{
    [Fact]
    public async Task StartingPostgres_OnAPortTakenAfterItLookedFree_TriesTheNextPort()
    {
        // Another process takes the port between the probe that found it free and PostgreSQL's bind:
        // here the probe is made to answer with a port this test already listens on.
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var takenPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        var data = Path.Combine(Path.GetTempPath(), "imapevents-port-race-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        var script = $$"""
            set -euo pipefail
            source scripts/lib/services.sh
            eval "probe_$(declare -f free_port)"
            free_port() {
              if [ -f '{{data}}/probed' ]; then probe_free_port "$@"; else touch '{{data}}/probed'; echo {{takenPort}}; fi
            }
            start_postgres_on_free_port '{{data}}/postgres' {{takenPort}} secret no
            echo "PORT=$POSTGRES_PORT"
            stop_postgres '{{data}}/postgres'
            """;

        var (exitCode, output) = await RunBashAsync(script);

        try
        {
            Assert.True(exitCode == 0, output);
            Assert.Contains($"Port {takenPort} was taken while PostgreSQL started", output, StringComparison.Ordinal);
            var port = int.Parse(output.Split('\n').Single(l => l.StartsWith("PORT=", StringComparison.Ordinal))["PORT=".Length..],
                System.Globalization.CultureInfo.InvariantCulture);
            Assert.NotEqual(takenPort, port);
        }
        finally
        {
            taken.Stop();
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunBashAsync(string script)
    {
        var start = new ProcessStartInfo("bash", ["-c", script])
        {
            WorkingDirectory = DockerComposeTests.RepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
