using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ImapEvents.Benchmarks;

/// <summary>
/// ImapEvents as users run it: <c>scripts/run.sh</c> with ConnectionStrings__Default set (so it starts no PostgreSQL
/// of its own), which publishes the app to artifacts/app when the sources changed and then execs it in Production.
/// The exec keeps the process id, so <see cref="Pid"/> is the app's for /proc. It runs in a session of its own:
/// a Ctrl-C in the terminal does not stop it mid-measurement, and stopping the group also ends a publish in progress.
/// </summary>
internal sealed class PublishedApp : IAsyncDisposable
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    private readonly Process process;
    private readonly string? pidFile;

    private PublishedApp(Process process, string baseUrl, string logPath, string? pidFile)
    {
        this.process = process;
        this.pidFile = pidFile;
        BaseUrl = baseUrl;
        LogPath = logPath;
    }

    public int Pid => process.Id;

    public string BaseUrl { get; }

    /// <summary>Everything the app (and run.sh before it) wrote.</summary>
    public string LogPath { get; }

    public bool HasExited => process.HasExited;

    /// <summary>Starts scripts/run.sh and returns once /healthz answers (the first start publishes the app, which takes a while).</summary>
    /// <param name="pidFile">Where to write the app's process id, so that scripts/bench.sh can stop it should this harness die first.</param>
    public static async Task<PublishedApp> StartAsync(
        string repositoryRoot, string logPath, IReadOnlyDictionary<string, string> settings, string? pidFile, CancellationToken cancellationToken)
    {
        var port = FreeLoopbackPort();
        // setsid execs (this child leads no group, so it does not fork), bash execs run.sh, run.sh execs the app: one pid throughout.
        var start = new ProcessStartInfo("setsid", ["bash", "-c", "exec bash scripts/run.sh >>\"$0\" 2>&1", logPath])
        {
            WorkingDirectory = repositoryRoot,
            UseShellExecute = false,
        };

        // A user's shell: no environment chosen, no MSBuild state handed down to run.sh's publish.
        foreach (var name in start.Environment.Keys.ToList())
        {
            if (name is "ASPNETCORE_ENVIRONMENT" or "DOTNET_ENVIRONMENT" or "DOTNET_HOST_PATH"
                || name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(name);
            }
        }

        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("scripts/run.sh did not start.");
        var app = new PublishedApp(process, $"http://127.0.0.1:{port}", logPath, pidFile);
        if (pidFile is not null)
        {
            await File.WriteAllTextAsync(pidFile, $"{process.Id}\n", CancellationToken.None);
        }

        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var deadline = DateTime.UtcNow.AddMinutes(5);
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"scripts/run.sh exited with {process.ExitCode}. The end of {logPath}:\n{app.LogTail()}");
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
                    // Publishing, or not listening yet.
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Still starting.
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"The app did not answer /healthz within 5 minutes. The end of {logPath}:\n{app.LogTail()}");
                }

                await Task.Delay(500, cancellationToken);
            }
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public string LogTail(int lines = 30)
    {
        try
        {
            return string.Join('\n', File.ReadLines(LogPath).TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>Stops the app as a service manager does (SIGTERM to its group), and kills it if it takes longer than a minute.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            // The group: the app, or run.sh and its publish when stopped that early.
            _ = Kill(-process.Id, SigTerm);
            using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            try
            {
                await process.WaitForExitAsync(patience.Token);
            }
            catch (OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"The app (pid {process.Id}) did not stop within a minute of SIGTERM; killing it.");
                _ = Kill(-process.Id, SigKill);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }

        process.Dispose();
        if (pidFile is not null)
        {
            File.Delete(pidFile);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
