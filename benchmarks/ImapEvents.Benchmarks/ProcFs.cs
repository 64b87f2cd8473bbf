using System.Globalization;
using System.Runtime.InteropServices;

namespace ImapEvents.Benchmarks;

/// <summary>
/// What Linux's /proc says about processes that are not this one: CPU time of a process and everything it started,
/// resident memory, the machine's busy time. Read-only, and cheap enough to read once a minute.
/// </summary>
internal static class ProcFs
{
    private const int ClockTicksName = 2; // _SC_CLK_TCK

    /// <summary>The unit of the CPU times in /proc/PID/stat (100 on every usual Linux).</summary>
    private static readonly double MillisecondsPerTick = 1000.0 / Math.Max(1, Sysconf(ClockTicksName));

    /// <summary>
    /// CPU (user + system) used so far by the process and all its descendants, in milliseconds: the live ones read
    /// directly, the ones that ended through the times their parents collected (cutime, cstime). PostgreSQL starts a
    /// process per connection and Dovecot several per service, so the tree, not one process, is what they cost.
    /// </summary>
    /// <returns>Null when the process is gone.</returns>
    public static double? TreeCpuMilliseconds(int rootPid)
    {
        var processes = new Dictionary<int, Stat>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ReadStat(pid) is { } stat)
            {
                processes[pid] = stat;
            }
        }

        if (!processes.ContainsKey(rootPid))
        {
            return null;
        }

        var children = processes.Values.ToLookup(p => p.ParentPid);
        long ticks = 0;
        var pending = new Stack<int>([rootPid]);
        while (pending.TryPop(out var pid))
        {
            var stat = processes[pid];
            ticks += stat.OwnTicks + stat.EndedChildrenTicks;
            foreach (var child in children[pid])
            {
                pending.Push(child.Pid);
            }
        }

        return ticks * MillisecondsPerTick;
    }

    public static int? ParentPid(int pid) => ReadStat(pid)?.ParentPid;

    /// <summary>The process group (the process's own pid when it leads one, as setsid makes it).</summary>
    public static int? ProcessGroup(int pid) => ReadStat(pid)?.ProcessGroup;

    /// <summary>Resident set size now (VmRSS) and at its highest (VmHWM), in megabytes; null when the process is gone.</summary>
    public static (double Rss, double Peak)? Memory(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (IOException)
        {
            return null;
        }

        double Kilobytes(string name) => lines.Where(l => l.StartsWith(name + ":", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(name.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture))
            .FirstOrDefault();
        return (Kilobytes("VmRSS") / 1024, Kilobytes("VmHWM") / 1024);
    }

    /// <summary>The machine's CPU time so far, all cores: busy (everything but idle and I/O wait) and total, in ticks.</summary>
    public static (long Busy, long Total) MachineCpu()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is already counted in user).
        var total = fields.Take(8).Sum();
        return (total - fields[3] - fields[4], total);
    }

    public static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    public static double MemoryGigabytes() =>
        File.ReadLines("/proc/meminfo").Where(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Select(l => double.Parse(l["MemTotal:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024 / 1024)
            .FirstOrDefault();

    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private sealed record Stat(int Pid, int ParentPid, int ProcessGroup, long OwnTicks, long EndedChildrenTicks);

    private static Stat? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Ended between listing and reading.
            return null;
        }

        // The command name (field 2) is in parentheses and may hold spaces or parentheses itself: count from the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
        return new Stat(pid, (int)Field(4), (int)Field(5), Field(14) + Field(15), Field(16) + Field(17));
    }

    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long Sysconf(int name);
}
