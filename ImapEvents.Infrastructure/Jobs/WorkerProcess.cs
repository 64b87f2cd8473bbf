using System.ComponentModel;
using System.Diagnostics;

namespace ImapEvents.Infrastructure.Jobs;

/// <summary>
/// Which process runs a check or sends a delivery, written on its row as "host:pid" (how the job servers are named
/// too), so that work left by a process that is gone (kill -9, a crash, out of memory) can be told from work a
/// live process is still doing.
/// </summary>
public static class WorkerProcess
{
    public static string Current { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>
    /// Whether the process named <paramref name="runner"/> has ended since it started work at <paramref name="startedAt"/>.
    /// Only a process on this machine can be looked at; another machine's work is left to the sweeps that go by time.
    /// </summary>
    public static bool HasEnded(string? runner, DateTimeOffset startedAt)
    {
        var separator = runner?.LastIndexOf(':') ?? -1;
        if (runner is null || separator <= 0
            || !string.Equals(runner[..separator], Environment.MachineName, StringComparison.OrdinalIgnoreCase)
            || !int.TryParse(runner.AsSpan(separator + 1), out var processId))
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            // The number may belong to a later process by now: a restarted container's app is often pid 1 again,
            // and this very process, starting, finds rows its predecessor left.
            return process.StartTime.ToUniversalTime() > startedAt.UtcDateTime;
        }
        catch (ArgumentException)
        {
            // No process has that number any more.
            return true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // It exists but cannot be looked at: assume it is alive.
            return false;
        }
    }
}
