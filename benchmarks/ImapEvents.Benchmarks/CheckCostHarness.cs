using System.Diagnostics;
using System.Globalization;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MimeKit;
using Npgsql;

namespace ImapEvents.Benchmarks;

/// <summary>
/// A load harness for the mailbox check: real checks (MailKit against Dovecot, rows in PostgreSQL)
/// run through <see cref="MailboxCheckJob"/>, the code Hangfire runs. It prints the figures;
/// it asserts nothing. Run it with scripts/bench-checks.sh, which starts the services.
/// </summary>
internal static class CheckCostHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var mailboxes = Option(args, "--mailboxes", 50);
        var rounds = Option(args, "--rounds", 5);
        var parallel = Option(args, "--parallel", 4);
        var admin = Environment.GetEnvironmentVariable("IMAPEVENTS_TEST_POSTGRES");
        var host = Environment.GetEnvironmentVariable("IMAPEVENTS_TEST_IMAP_HOST");
        var port = Environment.GetEnvironmentVariable("IMAPEVENTS_TEST_IMAP_PORT");
        var usersFile = Environment.GetEnvironmentVariable("IMAPEVENTS_TEST_IMAP_USERS_FILE");
        if (admin is null || host is null || port is null || usersFile is null)
        {
            await Console.Error.WriteLineAsync("Run this through scripts/bench-checks.sh: it starts PostgreSQL and Dovecot and sets IMAPEVENTS_TEST_*.");
            return 2;
        }

        var database = $"bench_{Guid.NewGuid():N}";
        await ExecuteAsync(admin, $"CREATE DATABASE \"{database}\"");
        var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = database }.ConnectionString;
        try
        {
            var services = new ServiceCollection();
            services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
            services.AddInfrastructure(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Default"] = connectionString,
                ["Jobs:RunServer"] = "false",
            }).Build());
            await using var provider = services.BuildServiceProvider();
            await using (var scope = provider.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<AppDbContext>().Database.MigrateAsync();
            }

            var ids = await CreateMailboxesAsync(provider, mailboxes, host, int.Parse(port, CultureInfo.InvariantCulture), usersFile);
            var job = provider.GetRequiredService<MailboxCheckJob>();

            Console.WriteLine($"{mailboxes} mailboxes on Dovecot (plain IMAP), {parallel} checks at a time, {rounds} rounds");
            await MeasureAsync("first check (imports 1 message each)", job, ids, parallel);
            for (var round = 1; round <= rounds; round++)
            {
                await MeasureAsync($"round {round} (nothing new)", job, ids, parallel);
            }

            // The IMAP part alone (connect, log in, open the folder; no database), to see where the cost is.
            var tester = provider.GetRequiredService<ConnectionTester>();
            var administration = provider.GetRequiredService<MailboxAdministration>();
            var targets = new List<(Core.Mailboxes.Mailbox Mailbox, string Password)>();
            foreach (var id in ids)
            {
                var edit = (await administration.GetForEditAsync(id, CancellationToken.None))!;
                targets.Add((await administration.ForTestAsync(id, edit.Settings, CancellationToken.None))!.Value);
            }

            for (var round = 1; round <= 3; round++)
            {
                await MeasureAsync($"IMAP stages only, round {round}", targets, parallel,
                    async (target, token) => (await tester.TestAsync(target.Mailbox, target.Password, null, token)).All(r => r.State != StageState.Failed));
            }

            return 0;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        }
    }

    private static Task MeasureAsync(string label, MailboxCheckJob job, IReadOnlyList<Guid> ids, int parallel) =>
        MeasureAsync(label, ids, parallel, async (id, token) => (await job.CheckAsync(id, manual: false, token)).Result is { Succeeded: true });

    private static async Task MeasureAsync<T>(string label, IReadOnlyList<T> ids, int parallel, Func<T, CancellationToken, Task<bool>> check)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var clock = Stopwatch.StartNew();
        var failed = 0;

        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (id, token) =>
        {
            if (!await check(id, token))
            {
                Interlocked.Increment(ref failed);
            }
        });

        clock.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label,-40} {ids.Count} checks in {clock.Elapsed.TotalMilliseconds,7:0} ms = {ids.Count / clock.Elapsed.TotalSeconds,6:0} checks/s; " +
            $"app CPU {cpu.TotalMilliseconds / ids.Count,5:0.0} ms/check; {allocated / ids.Count / 1024.0,6:0} KB allocated/check; {failed} failed"));
    }

    private static async Task<List<Guid>> CreateMailboxesAsync(IServiceProvider provider, int count, string host, int port, string usersFile)
    {
        var administration = provider.GetRequiredService<MailboxAdministration>();
        var accounts = Enumerable.Range(0, count).Select(i => ($"bench{i}x{Guid.NewGuid():N}"[..20], $"pw-{Guid.NewGuid():N}")).ToList();
        await File.AppendAllLinesAsync(usersFile, accounts.Select(a => $"{a.Item1}:{{PLAIN}}{a.Item2}"));

        var ids = new List<Guid>();
        foreach (var (user, password) in accounts)
        {
            using var client = new ImapClient();
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    if (!client.IsConnected)
                    {
                        await client.ConnectAsync(host, port, SecureSocketOptions.None);
                    }

                    await client.AuthenticateAsync(new SaslMechanismPlain(user, password));
                    break;
                }
                catch (AuthenticationException) when (attempt < 20)
                {
                    await Task.Delay(100);
                }
            }

            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("customer@example.test"));
            message.To.Add(MailboxAddress.Parse("support@example.test"));
            message.Subject = "Benchmark";
            message.Body = new TextPart("plain") { Text = "A message to import." };
            await client.Inbox.AppendAsync(message, MessageFlags.None);
            await client.DisconnectAsync(true);

            var saved = await administration.CreateAsync(new MailboxSettings
            {
                DisplayName = user,
                ServerName = host,
                ServerPort = port,
                Security = ConnectionSecurity.None,
                LoginUsername = user,
                Password = password,
                PollIntervalMinutes = 60,
            }, CancellationToken.None);
            ids.Add(saved.Id ?? throw new InvalidOperationException(string.Join("; ", saved.Errors.Values)));
        }

        return ids;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
