using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ImapEvents.Benchmarks;

/// <param name="Keep">Keep the run's folder (the app's log) instead of deleting it at the end.</param>
internal sealed record ScaleOptions(int Mailboxes, int Minutes, int Failing, int Concurrency, bool Keep)
{
    public static ScaleOptions From(string[] args)
    {
        var mailboxes = Math.Max(1, Harness.Option(args, "--mailboxes", 1000));
        return new ScaleOptions(
            mailboxes,
            Math.Max(1, Harness.Option(args, "--minutes", 4)),
            Math.Clamp(Harness.Option(args, "--failing", 40), 0, mailboxes),
            Math.Max(1, Harness.Option(args, "--concurrency", 16)),
            args.Contains("--keep"));
    }
}

/// <summary>
/// The app at scale, as users run it: scripts/run.sh (published, Production) on the test PostgreSQL and Dovecot, N
/// mailboxes on a 1-minute interval, and per minute what it did (checks done, start lag) and what that cost (CPU of the
/// app, PostgreSQL and Dovecot, commits, memory); beside it, the bare MailKit loop over the same accounts, and how long a
/// failed check takes to reach a webhook receiver. It prints; it asserts nothing. Run it with scripts/bench.sh scale.
/// </summary>
internal static class ScaleHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = ScaleOptions.From(args);
        var admin = Environment.GetEnvironmentVariable("IMAPEVENTS_TEST_POSTGRES");
        var host = Environment.GetEnvironmentVariable("IMAPEVENTS_TEST_IMAP_HOST");
        var port = Environment.GetEnvironmentVariable("IMAPEVENTS_TEST_IMAP_PORT");
        var usersFile = Environment.GetEnvironmentVariable("IMAPEVENTS_TEST_IMAP_USERS_FILE");
        if (admin is null || host is null || port is null || usersFile is null)
        {
            await Console.Error.WriteLineAsync("Run this through scripts/bench.sh scale: it starts PostgreSQL and Dovecot and sets IMAPEVENTS_TEST_*.");
            return 2;
        }

        // Ctrl-C or a stop signal ends the run through the cleanup below (the app stopped, the database dropped),
        // not in the middle of it.
        using var stop = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var dovecot = new DovecotAccounts(host, int.Parse(port, CultureInfo.InvariantCulture), usersFile);
        try
        {
            await new ScaleRun(options, admin, dovecot).RunAsync(stop.Token);
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("Stopped before the end; the app was stopped and its database dropped.");
            return 130;
        }
    }
}

/// <summary>One scale run, stage by stage.</summary>
internal sealed class ScaleRun(ScaleOptions options, string adminConnectionString, DovecotAccounts dovecot)
{
    /// <summary>Checks the bare loop measures at least, so that a small run still measures more than its noise.</summary>
    private const int BareLoopChecks = 2000;

    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private readonly string root = RepositoryRoot();
    private readonly List<MinuteSample> samples = [];
    private readonly List<string> phases = [];
    private Harness harness = null!;
    private PublishedApp app = null!;
    private NpgsqlConnection statistics = null!;
    private int postmasterPid;
    private string database = "";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var work = Directory.CreateTempSubdirectory("imapevents-scale-");
        var succeeded = false;
        try
        {
            await RunInAsync(work.FullName, cancellationToken);
            succeeded = true;
        }
        finally
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            if (statistics is not null)
            {
                await statistics.DisposeAsync();
            }

            if (harness is not null)
            {
                await harness.DisposeAsync();
            }

            if (succeeded && !options.Keep)
            {
                work.Delete(recursive: true);
            }
            else
            {
                await Console.Error.WriteLineAsync($"The app's log and the run's files are kept in {work.FullName}.");
            }
        }
    }

    private async Task RunInAsync(string work, CancellationToken cancellationToken)
    {
        var machine = await DescribeMachineAsync(cancellationToken);
        Console.WriteLine(machine);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{options.Mailboxes} mailboxes on a 1-minute interval, {options.Minutes} measured minute(s) after a warm-up minute; " +
            $"then {options.Failing} of them fail; bare loop {options.Concurrency} at a time."));

        // The key ring is protected by a certificate in Production; the harness's services and the app share it and the
        // ring in the database, so the app reads the passwords the harness stores.
        var certificate = Path.Combine(work, "key-ring-certificate.pem");
        await RunToEndAsync("bash", [Path.Combine(root, "scripts", "new-key-certificate.sh"), certificate], cancellationToken);
        harness = await Harness.StartAsync(adminConnectionString, Microsoft.Extensions.Logging.LogLevel.Warning,
            new Dictionary<string, string?> { ["DataProtection:CertificatePath"] = certificate });
        database = new NpgsqlConnectionStringBuilder(harness.ConnectionString).Database!;
        // The ring's first key, made before the app starts, so that the app and the harness use one key (each would make its own).
        harness.Services.GetRequiredService<MailboxPasswords>().Protect("first key");
        statistics = new NpgsqlConnection(adminConnectionString);
        await statistics.OpenAsync(cancellationToken);
        postmasterPid = ProcFs.ParentPid(await ScalarAsync<int>("SELECT pg_backend_pid()", cancellationToken)) ?? 0;

        var clock = Stopwatch.StartNew();
        var accounts = await dovecot.CreateAsync(options.Mailboxes, cancellationToken);
        Console.WriteLine($"{accounts.Count} Dovecot accounts in {clock.Elapsed.TotalSeconds:0.0} s");

        var bare = await MeasureBareLoopAsync(accounts, cancellationToken);

        await using var receiver = await WebhookReceiver.StartAsync();
        var appSettings = new Dictionary<string, string>
        {
            ["ConnectionStrings__Default"] = harness.ConnectionString,
            ["DataProtection__CertificatePath"] = certificate,
            ["Actions__LogDirectory"] = Path.Combine(work, "action-logs"),
            // Loopback receivers are allowed by default; said here, since the webhook measurement depends on it.
            ["Outbound__DenyPrivateNetworks"] = "false",
        };
        var pidFile = Environment.GetEnvironmentVariable("IMAPEVENTS_BENCH_APP_PIDFILE");
        var log = Path.Combine(work, "app.log");
        app = await PublishedApp.StartAsync(root, log, appSettings, pidFile, cancellationToken);
        Console.WriteLine($"The app (pid {app.Pid}) answers on {app.BaseUrl}; its log: {app.LogPath}");
        var idle = await MeasureIdleAsync(cancellationToken);

        // Stopped while the mailboxes are made: creating them then costs what saving them costs, not also the app's checks of
        // them racing for the same two cores. They are saved disabled (a check on save each would be 10,000 Check now jobs
        // before the first scheduled minute) and enabled together; the app gives each its due time when it starts.
        await app.DisposeAsync();
        app = null!;
        await CreateRuleAsync(receiver.Url, cancellationToken);
        await CreateMailboxesAsync(accounts, cancellationToken);
        app = await PublishedApp.StartAsync(root, log, appSettings, pidFile, cancellationToken);
        Console.WriteLine($"The app started again (pid {app.Pid}) with {accounts.Count} mailboxes.");

        // Warm-up: the rest of this minute and the whole next one; then a sample at every minute's start.
        var next = NextMinute(DateTimeOffset.UtcNow) + Minute;
        Console.WriteLine($"Warm-up until {next:HH:mm:ss} UTC, then {options.Minutes} measured minute(s).");
        await SampleAtAsync(next, "start", cancellationToken);
        for (var minute = 0; minute < options.Minutes; minute++)
        {
            next += Minute;
            await SampleAtAsync(next, "steady", cancellationToken);
        }

        (DateTimeOffset From, DateTimeOffset To)? failing = null;
        if (options.Failing > 0)
        {
            // Mid-minute, so that with checks due at the minute's start every failing mailbox fails in the minute after.
            await DelayUntilAsync(next + TimeSpan.FromSeconds(30), cancellationToken);
            await dovecot.BreakPasswordsAsync(accounts.Take(options.Failing).ToList(), cancellationToken);
            var brokenAt = DateTimeOffset.UtcNow;
            await SampleAtAsync(next += Minute, $"{options.Failing} passwords changed at :30", cancellationToken);
            await SampleAtAsync(next += Minute, $"{options.Failing} failing", cancellationToken);
            // The failures of checks that started in these 90 seconds; the ones after are left out (the app is stopped before their webhooks).
            failing = (brokenAt, next);
            await WaitForWebhooksAsync(failing.Value.From, failing.Value.To, receiver, cancellationToken);
        }

        var memory = ProcFs.Memory(app.Pid);
        await app.DisposeAsync();
        app = null!;

        var checks = await LoadChecksAsync(samples[0].At, samples[^1].At, cancellationToken);
        var rows = MinuteRows(checks);
        var webhooks = failing is { } window ? await WebhookLatencyAsync(window.From, window.To, receiver, cancellationToken) : null;
        Report(machine, rows, checks, bare, idle, memory, webhooks);
    }

    private async Task<BareLoopResult> MeasureBareLoopAsync(IReadOnlyList<ImapAccount> accounts, CancellationToken cancellationToken)
    {
        await BareImapLoop.WarmUpAsync(dovecot, accounts, options.Concurrency, cancellationToken);
        var dovecotBefore = DovecotCpu();
        var measured = await BareImapLoop.MeasureAsync(dovecot, accounts, options.Concurrency, BareLoopChecks, cancellationToken);
        return new BareLoopResult(measured, (DovecotCpu() - dovecotBefore) / measured.Items);
    }

    /// <summary>The app with no mailbox: what it costs at rest, and its memory once it has settled after start.</summary>
    private async Task<IdleResult> MeasureIdleAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(20), cancellationToken);
        var before = await SampleAsync(cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken);
        var after = await SampleAsync(cancellationToken);
        var perMinute = Minute / (after.At - before.At);
        var idle = new IdleResult(
            (after.AppCpu - before.AppCpu) * perMinute,
            (after.PostgresCpu - before.PostgresCpu) * perMinute,
            (after.CommitsAppDatabase - before.CommitsAppDatabase) * perMinute,
            after.AppRss);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Idle, no mailbox (30 s, per minute): app CPU {idle.AppCpuPerMinute:0} ms, PostgreSQL CPU {idle.PostgresCpuPerMinute:0} ms, " +
            $"{idle.CommitsPerMinute:0} commits; app RSS {idle.Rss:0} MB"));
        return idle;
    }

    /// <summary>A rule as an administrator would make it: every Login Failed event calls the harness's receiver.</summary>
    private async Task CreateRuleAsync(string url, CancellationToken cancellationToken)
    {
        var hook = RuleAction.Create(ActionKind.CallWebhook);
        hook.Url = url;
        hook.NewSecret = WebhookSecrets.Generate();
        var rule = new EventRule { Name = "Scale: login failures to a webhook", EventType = ImapEventType.LoginFailed };
        rule.Actions.Add(hook);
        var saved = await harness.Services.GetRequiredService<RuleAdministration>().CreateAsync("benchmark", rule, cancellationToken);
        if (!saved.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", saved.Errors.Values));
        }
    }

    /// <summary>
    /// Through the Mailboxes page's own service, so that each is scheduled as the app schedules a new mailbox (whatever the
    /// scheduler is). 32 at a time, so that their commits (each waits for its fsync) overlap.
    /// </summary>
    private async Task CreateMailboxesAsync(IReadOnlyList<ImapAccount> accounts, CancellationToken cancellationToken)
    {
        var administration = harness.Services.GetRequiredService<MailboxAdministration>();
        string? refusal = null;
        var created = await Harness.MeasureAsync("mailboxes created (app stopped)", "mailbox save", accounts, 32, async (account, token) =>
        {
            var saved = await administration.CreateAsync(new MailboxSettings
            {
                DisplayName = account.Username,
                ServerName = dovecot.Host,
                ServerPort = dovecot.Port,
                Security = ConnectionSecurity.None,
                LoginUsername = account.Username,
                Password = account.Password,
                PollIntervalMinutes = 1,
                Enabled = false,
            }, token);
            refusal ??= saved.Succeeded ? null : string.Join("; ", saved.Errors.Values);
            return saved.Succeeded;
        }, cancellationToken);
        if (created.Failed > 0)
        {
            throw new InvalidOperationException($"{created.Failed} mailbox(es) were refused: {refusal}");
        }

        await using var db = await harness.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(cancellationToken);
        await db.Mailboxes.ExecuteUpdateAsync(u => u.SetProperty(m => m.Enabled, true), cancellationToken);
    }

    /// <summary>Waits until every failure of a check started in the window has reached the receiver, or a minute has passed.</summary>
    private async Task WaitForWebhooksAsync(DateTimeOffset from, DateTimeOffset to, WebhookReceiver receiver, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + Minute;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var raised = await LoginFailuresAsync(from, to, cancellationToken);
            var arrived = receiver.Received.Select(r => r.EventId).ToHashSet();
            if (raised.Keys.All(arrived.Contains))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    /// <summary>The Login Failed events of checks that started in the window, and when each occurred (its check's FinishedAt).</summary>
    private async Task<Dictionary<Guid, DateTimeOffset>> LoginFailuresAsync(DateTimeOffset windowStart, DateTimeOffset windowEnd, CancellationToken cancellationToken)
    {
        await using var db = await harness.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(cancellationToken);
        return await db.Events
            .Where(e => e.Type == ImapEventType.LoginFailed
                && db.MailboxChecks.Any(c => c.Id == e.CheckId && c.StartedAt >= windowStart && c.StartedAt < windowEnd))
            .ToDictionaryAsync(e => e.Id, e => e.OccurredAt, cancellationToken);
    }

    private async Task SampleAtAsync(DateTimeOffset at, string phase, CancellationToken cancellationToken)
    {
        await DelayUntilAsync(at, cancellationToken);
        EnsureAppRunning();
        samples.Add(await SampleAsync(cancellationToken) with { Minute = at });
        phases.Add(phase);
        if (samples.Count > 1)
        {
            Console.WriteLine($"  {at:HH:mm} UTC sampled ({phase})");
        }
    }

    private async Task<MinuteSample> SampleAsync(CancellationToken cancellationToken)
    {
        var at = DateTimeOffset.UtcNow;
        var appCpu = ProcFs.TreeCpuMilliseconds(app.Pid) ?? double.NaN;
        var postgresCpu = ProcFs.TreeCpuMilliseconds(postmasterPid) ?? double.NaN;
        var dovecotCpu = DovecotCpu();
        var machine = ProcFs.MachineCpu();
        var rss = ProcFs.Memory(app.Pid)?.Rss ?? double.NaN;
        await using var command = new NpgsqlCommand(
            """
            SELECT coalesce(sum(xact_commit) FILTER (WHERE datname = @database), 0)::bigint,
                   coalesce(sum(xact_commit), 0)::bigint,
                   (SELECT wal_sync FROM pg_stat_wal)
            FROM pg_stat_database
            """, statistics);
        command.Parameters.AddWithValue("database", database);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new MinuteSample(at, at, appCpu, postgresCpu, dovecotCpu, reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), rss, machine.Busy, machine.Total);
    }

    private double DovecotCpu() => dovecot.MasterPid is { } pid ? ProcFs.TreeCpuMilliseconds(pid) ?? double.NaN : double.NaN;

    private void EnsureAppRunning()
    {
        if (app.HasExited)
        {
            throw new InvalidOperationException($"The app stopped during the run. The end of {app.LogPath}:\n{app.LogTail()}");
        }
    }

    private async Task<List<CheckTiming>> LoadChecksAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var db = await harness.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(cancellationToken);
        return await db.MailboxChecks.AsNoTracking()
            .Where(c => !c.Manual && c.StartedAt >= from && c.StartedAt < to)
            .Select(c => new CheckTiming(c.StartedAt, c.DueAt, c.Outcome == CheckOutcome.Failed))
            .ToListAsync(cancellationToken);
    }

    private List<MinuteRow> MinuteRows(List<CheckTiming> checks)
    {
        var rows = new List<MinuteRow>();
        for (var i = 1; i < samples.Count; i++)
        {
            var (before, after) = (samples[i - 1], samples[i]);
            var inMinute = checks.Where(c => c.StartedAt >= before.At && c.StartedAt < after.At).ToList();
            rows.Add(new MinuteRow(before.Minute, phases[i], inMinute, before, after));
        }

        return rows;
    }

    private async Task<WebhookResult> WebhookLatencyAsync(DateTimeOffset from, DateTimeOffset to, WebhookReceiver receiver, CancellationToken cancellationToken)
    {
        var raised = await LoginFailuresAsync(from, to, cancellationToken);
        var received = receiver.Received;
        var firstArrivals = received.Where(r => raised.ContainsKey(r.EventId)).GroupBy(r => r.EventId)
            .Select(g => (g.Min(r => r.ReceivedAt) - raised[g.Key]).TotalMilliseconds).ToList();
        return new WebhookResult(raised.Count, firstArrivals, received.Count - received.Select(r => r.DeliveryId).Distinct().Count(), receiver.Unreadable);
    }

    private void Report(
        string machine, List<MinuteRow> rows, List<CheckTiming> checks, BareLoopResult bare, IdleResult idle, (double Rss, double Peak)? memoryAtEnd, WebhookResult? webhooks)
    {
        var c = CultureInfo.InvariantCulture;
        var fromDueAt = checks.Count(t => t.DueAt is not null);
        Console.WriteLine();
        Console.WriteLine(machine);
        Console.WriteLine(string.Create(c,
            $"{options.Mailboxes} mailboxes, 1-minute interval; start lag = StartedAt - {(fromDueAt == checks.Count ? "DueAt" : fromDueAt == 0 ? "the start of its minute (DueAt not set)" : $"DueAt ({fromDueAt} checks), else the start of its minute ({checks.Count - fromDueAt})")}"));
        Console.WriteLine();
        Console.WriteLine("| minute (UTC) | phase | checks / expected | failed | lag p50 | lag p99 | lag max | app CPU/check | PostgreSQL CPU/check | Dovecot CPU/check | commits/check (app DB / all) | WAL fsyncs/check | app RSS | host CPU busy |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var row in rows)
        {
            var lags = row.Checks.Select(t => t.Lag).Order().ToList();
            var n = Math.Max(1, row.Checks.Count);
            var (before, after) = (row.Before, row.After);
            Console.WriteLine(string.Create(c,
                $"| {row.At:HH:mm} | {row.Phase} | {row.Checks.Count:#,0} / {options.Mailboxes:#,0} | {row.Checks.Count(t => t.Failed)} | " +
                $"{Seconds(Percentile(lags, 0.50))} | {Seconds(Percentile(lags, 0.99))} | {Seconds(lags.LastOrDefault())} | " +
                $"{(after.AppCpu - before.AppCpu) / n:0.00} ms | {(after.PostgresCpu - before.PostgresCpu) / n:0.00} ms | {(after.DovecotCpu - before.DovecotCpu) / n:0.00} ms | " +
                $"{(after.CommitsAppDatabase - before.CommitsAppDatabase) / (double)n:0.0} / {(after.CommitsAll - before.CommitsAll) / (double)n:0.0} | " +
                $"{(after.WalSyncs - before.WalSyncs) / (double)n:0.0} | {after.AppRss:0} MB | {100.0 * (after.MachineBusy - before.MachineBusy) / Math.Max(1, after.MachineTotal - before.MachineTotal):0} % |"));
        }

        var steady = rows.Where(r => r.Phase == "steady").ToList();
        var steadyChecks = steady.SelectMany(r => r.Checks).ToList();
        var count = Math.Max(1, steadyChecks.Count);
        var (first, last) = (steady[0].Before, steady[^1].After);
        var appCpu = (last.AppCpu - first.AppCpu) / count;
        var postgresCpu = (last.PostgresCpu - first.PostgresCpu) / count;
        var steadyLags = steadyChecks.Select(t => t.Lag).Order().ToList();
        var bareCpu = bare.Measured.CpuMillisecondsPerItem;
        var machineBusy = 100.0 * (last.MachineBusy - first.MachineBusy) / Math.Max(1, last.MachineTotal - first.MachineTotal);
        Console.WriteLine();
        Console.WriteLine(string.Create(c,
            $"Summary of the {steady.Count} steady minute(s), in which the machine was {machineBusy:0} % busy (all its work, not only this run's; load average {ProcFs.LoadAverage()} at the end):"));
        Console.WriteLine();
        Console.WriteLine(string.Create(c, $"- checks done: {steadyChecks.Count:#,0} of {options.Mailboxes * steady.Count:#,0} expected; start lag p50 {Seconds(Percentile(steadyLags, 0.5))}, p99 {Seconds(Percentile(steadyLags, 0.99))}, max {Seconds(steadyLags.LastOrDefault())}"));
        Console.WriteLine(string.Create(c, $"- CPU per check: app {appCpu:0.00} ms + PostgreSQL {postgresCpu:0.00} ms = {appCpu + postgresCpu:0.00} ms; Dovecot {(last.DovecotCpu - first.DovecotCpu) / count:0.00} ms"));
        Console.WriteLine(string.Create(c,
            $"- bare MailKit loop (same accounts, {options.Concurrency} at a time, app stopped): {bareCpu:0.00} ms CPU per check, {bare.Measured.ItemsPerSecond:0} checks/s, " +
            $"{bare.Measured.Failed} failed of {bare.Measured.Items:#,0}; Dovecot {bare.DovecotCpuPerCheck:0.00} ms per check"));
        Console.WriteLine(string.Create(c, $"- (app + PostgreSQL) / bare loop: {(appCpu + postgresCpu) / bareCpu:0.0}x"));
        Console.WriteLine(string.Create(c,
            $"- commits per check: {(last.CommitsAppDatabase - first.CommitsAppDatabase) / (double)count:0.00} in the app's database " +
            $"({(last.CommitsAll - first.CommitsAll) / (double)count:0.00} in all databases); WAL fsyncs per check {(last.WalSyncs - first.WalSyncs) / (double)count:0.00}"));
        // What the app costs with no mailbox at all, spread over these checks: the fixed part of the figures above.
        var idleShare = (last.At - first.At) / Minute / count;
        Console.WriteLine(string.Create(c,
            $"- of which the idle app's cost (measured with no mailbox) spread over these checks: app {idle.AppCpuPerMinute * idleShare:0.00} ms, " +
            $"PostgreSQL {idle.PostgresCpuPerMinute * idleShare:0.00} ms, {idle.CommitsPerMinute * idleShare:0.00} commits per check"));
        Console.WriteLine(string.Create(c,
            $"- app RSS: {idle.Rss:0} MB idle with no mailbox; {steady.Max(r => r.After.AppRss):0} MB at most at a steady minute's end; " +
            $"{memoryAtEnd?.Peak:0} MB peak (VmHWM) over the run"));
        Console.WriteLine(string.Create(c,
            $"- idle, no mailbox, per minute: app {idle.AppCpuPerMinute:0} ms CPU, PostgreSQL {idle.PostgresCpuPerMinute:0} ms, {idle.CommitsPerMinute:0} commits"));
        if (webhooks is not null)
        {
            var latencies = webhooks.LatenciesMs.Order().ToList();
            Console.WriteLine(string.Create(c,
                $"- failure → webhook ({options.Failing} mailboxes failing; from the event's OccurredAt, which is the failed check's FinishedAt, to receipt): " +
                $"{webhooks.Events} Login Failed events, {latencies.Count} reached the receiver; " +
                $"p50 {Percentile(latencies, 0.5):0} ms, p99 {Percentile(latencies, 0.99):0} ms, max {latencies.LastOrDefault():0} ms" +
                $"{(webhooks.Duplicates > 0 ? $"; {webhooks.Duplicates} received twice" : "")}{(webhooks.Unreadable > 0 ? $"; {webhooks.Unreadable} unreadable" : "")}"));
        }
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static string Seconds(double seconds) =>
        double.IsNaN(seconds) ? "–" : seconds.ToString(seconds < 10 ? "0.00 's'" : "0.0 's'", CultureInfo.InvariantCulture);

    private async Task<string> DescribeMachineAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync(cancellationToken);
        async Task<string> Setting(string name)
        {
            await using var command = new NpgsqlCommand($"SHOW {name}", connection);
            return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        var postgres = $"PostgreSQL {await Setting("server_version")} (fsync {await Setting("fsync")}, synchronous_commit {await Setting("synchronous_commit")})";
        string dovecotVersion;
        try
        {
            dovecotVersion = (await RunToEndAsync("dovecot", ["--version"], cancellationToken)).Split(' ')[0];
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            dovecotVersion = "(version unknown)";
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"Machine: {Environment.ProcessorCount} cores ({ProcFs.CpuModel()}), {ProcFs.MemoryGigabytes():0.0} GB RAM, load average {ProcFs.LoadAverage()} at start; " +
            $"{RuntimeInformation.FrameworkDescription}; {postgres}; Dovecot {dovecotVersion.Trim()}");
    }

    private async Task<T> ScalarAsync<T>(string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, statistics);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task DelayUntilAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        // A timer may fire a little early; a sample must never be taken before its minute starts.
        for (var wait = at - DateTimeOffset.UtcNow; wait > TimeSpan.Zero; wait = at - DateTimeOffset.UtcNow)
        {
            await Task.Delay(wait + TimeSpan.FromMilliseconds(1), cancellationToken);
        }
    }

    private static DateTimeOffset NextMinute(DateTimeOffset now) =>
        new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero) + Minute;

    private static async Task<string> RunToEndAsync(string file, string[] arguments, CancellationToken cancellationToken)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"{file} did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode == 0 ? await output : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {await errors}");
    }

    /// <summary>The checkout this harness was built from: scripts/run.sh is run from there, as a user would.</summary>
    private static string RepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "scripts", "run.sh")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new InvalidOperationException("scripts/run.sh was not found above the current directory or the harness.");
    }

    /// <param name="Minute">The minute boundary the sample was taken for (At is a few milliseconds later).</param>
    private sealed record MinuteSample(
        DateTimeOffset Minute, DateTimeOffset At, double AppCpu, double PostgresCpu, double DovecotCpu, long CommitsAppDatabase, long CommitsAll, long WalSyncs,
        double AppRss, long MachineBusy, long MachineTotal);

    /// <summary>A scheduled check: when it started, and against what its lag is measured.</summary>
    private sealed record CheckTiming(DateTimeOffset StartedAt, DateTimeOffset? DueAt, bool Failed)
    {
        /// <summary>Against its due time when the scheduler wrote one; else against the start of its minute (one cron job per mailbox, due at second 0).</summary>
        public double Lag => (StartedAt - (DueAt ?? new DateTimeOffset(StartedAt.UtcTicks - StartedAt.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero))).TotalSeconds;
    }

    private sealed record MinuteRow(DateTimeOffset At, string Phase, List<CheckTiming> Checks, MinuteSample Before, MinuteSample After);

    private sealed record BareLoopResult(Measurement Measured, double DovecotCpuPerCheck);

    private sealed record IdleResult(double AppCpuPerMinute, double PostgresCpuPerMinute, double CommitsPerMinute, double Rss);

    private sealed record WebhookResult(int Events, List<double> LatenciesMs, int Duplicates, int Unreadable);
}
