using System.Diagnostics;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// The built app (ImapEvents.Web.dll beside the tests) as a process of its own, in Production, on a test database:
/// what a service manager runs, a second instance of a cluster, and what kill -9 can end without warning.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly List<string> output = [];

    private AppProcess(Process process, string baseUrl)
    {
        this.process = process;
        BaseUrl = baseUrl;
    }

    public int Id => process.Id;

    public string BaseUrl { get; }

    /// <summary>Starts the app with these environment variables and waits until /healthz answers.</summary>
    public static async Task<AppProcess> StartAsync(string connectionString, IReadOnlyDictionary<string, string> settings)
    {
        // The tests' own instance is a Development host without the key ring's certificate; both must read one ring.
        var (start, port) = StartInfo(connectionString, new Dictionary<string, string>(settings) { ["DataProtection__AllowUnprotectedKeys"] = "true" });
        var app = new AppProcess(Process.Start(start) ?? throw new InvalidOperationException("The app process did not start."), $"http://127.0.0.1:{port}");
        app.process.OutputDataReceived += (_, e) => app.Append(e.Data);
        app.process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        app.process.BeginOutputReadLine();
        app.process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            Assert.False(app.process.HasExited, "The app process exited:\n" + app.Output());
            try
            {
                if ((await http.GetAsync($"{app.BaseUrl}/healthz")).IsSuccessStatusCode)
                {
                    return app;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Still starting.
            }

            Assert.True(DateTime.UtcNow < deadline, "The app process never became healthy:\n" + app.Output());
            await Task.Delay(200);
        }
    }

    /// <summary>How the built app is started in Production on a free loopback port, with these environment variables.</summary>
    public static (ProcessStartInfo Start, int Port) StartInfo(string connectionString, IReadOnlyDictionary<string, string> settings)
    {
        // Free now; the app takes it a moment later.
        var port = LoopbackTcpServer.ClosedPort();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "ImapEvents.Web.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["ConnectionStrings__Default"] = connectionString;
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        return (start, port);
    }

    /// <summary>SIGKILL, as <c>kill -9</c>: no shutdown, no finally block runs; the kernel closes its sockets.</summary>
    /// <summary>
    /// Starts the app (a worker without job servers) with <paramref name="settings"/> and asserts that it refuses to start
    /// with exit code 1, saying "ImapEvents did not start: " and each of <paramref name="sentences"/>, and no stack trace.
    /// </summary>
    public static async Task AssertRefusedAtStartAsync(string connectionString, IReadOnlyDictionary<string, string> settings, params string[] sentences)
    {
        var all = new Dictionary<string, string>
        {
            ["App__WorkerOnly"] = "true",
            ["Jobs__RunServer"] = "false",
            ["DataProtection__AllowUnprotectedKeys"] = "true",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var (start, _) = StartInfo(connectionString, all);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("The app did not start.");
        try
        {
            var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
            var said = string.Concat(await output);

            Assert.Equal(1, process.ExitCode);
            Assert.NotEmpty(sentences);
            foreach (var sentence in sentences)
            {
                Assert.Contains($"ImapEvents did not start: {sentence}", said, StringComparison.Ordinal);
            }

            Assert.DoesNotContain("   at ", said, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: false);
        await process.WaitForExitAsync();
    }

    /// <summary>Every line the app wrote so far, standard output and error.</summary>
    public IReadOnlyList<string> Lines()
    {
        lock (output)
        {
            return [.. output];
        }
    }

    /// <summary>The last lines the app wrote, for failure messages.</summary>
    public string Output()
    {
        lock (output)
        {
            return string.Join('\n', output.TakeLast(40));
        }
    }

    private void Append(string? line)
    {
        lock (output)
        {
            output.Add(line ?? "");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}
