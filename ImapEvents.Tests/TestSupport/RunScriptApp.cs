using System.Diagnostics;
using System.Text;
using ImapEvents.Tests.Infrastructure;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// The app started the way the README tells users to: <c>scripts/run.sh</c> with its default
/// environment (Production), here on the tests' PostgreSQL through <c>ConnectionStrings__Default</c>.
/// </summary>
public sealed class RunScriptApp : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private RunScriptApp(Process process, int port)
    {
        this.process = process;
        BaseUrl = $"http://127.0.0.1:{port}";
    }

    public string BaseUrl { get; }

    public int ProcessId => process.Id;

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static async Task<RunScriptApp> StartAsync(string connectionString, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var port = LoopbackTcpServer.ClosedPort();
        var root = DockerComposeTests.RepositoryRoot();
        var start = new ProcessStartInfo("bash", [Path.Combine(root, "scripts", "run.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };

        // A user's shell, not the test runner's: no environment chosen, no MSBuild state handed down.
        foreach (var name in start.Environment.Keys.ToList())
        {
            if (name is "ASPNETCORE_ENVIRONMENT" or "DOTNET_ENVIRONMENT"
                || name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(name);
            }
        }

        start.Environment["ConnectionStrings__Default"] = connectionString;
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("scripts/run.sh did not start.");
        var app = new RunScriptApp(process, port);
        process.OutputDataReceived += (_, e) => app.Append(e.Data);
        process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // The first start publishes the app, which takes a while on a cold machine.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddMinutes(4);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"scripts/run.sh exited with {process.ExitCode}:\n{app.Output}");
            }

            try
            {
                if ((await http.GetAsync($"{app.BaseUrl}/healthz", cancellationToken)).IsSuccessStatusCode)
                {
                    return app;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                await app.DisposeAsync();
                throw new TimeoutException($"scripts/run.sh did not answer on {app.BaseUrl}/healthz within 4 minutes:\n{app.Output}");
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>The command line of the process the script became (run.sh execs the app).</summary>
    public string CommandLine() =>
        File.ReadAllText($"/proc/{process.Id}/cmdline").Replace('\0', ' ').Trim();

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            // SIGTERM, as Ctrl-C or a service manager would: the app shuts its job servers down cleanly.
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var graceful = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(graceful.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        process.Dispose();
    }
}
