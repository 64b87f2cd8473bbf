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
/// it asserts nothing. Run it with scripts/bench.sh checks, which starts the services.
/// </summary>
internal static class CheckCostHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var mailboxes = Harness.Option(args, "--mailboxes", 50);
        var rounds = Harness.Option(args, "--rounds", 5);
        var parallel = Harness.Option(args, "--parallel", 4);
        var admin = Environment.GetEnvironmentVariable("IMAPEVENTS_TEST_POSTGRES");
        var host = Environment.GetEnvironmentVariable("IMAPEVENTS_TEST_IMAP_HOST");
        var port = Environment.GetEnvironmentVariable("IMAPEVENTS_TEST_IMAP_PORT");
        var usersFile = Environment.GetEnvironmentVariable("IMAPEVENTS_TEST_IMAP_USERS_FILE");
        if (admin is null || host is null || port is null || usersFile is null)
        {
            await Console.Error.WriteLineAsync("Run this through scripts/bench.sh checks: it starts PostgreSQL and Dovecot and sets IMAPEVENTS_TEST_*.");
            return 2;
        }

        await using var harness = await Harness.StartAsync(admin);
        var provider = harness.Services;
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
            await Harness.MeasureAsync($"IMAP stages only, round {round}", "check", targets, parallel,
                async (target, token) => (await tester.TestAsync(target.Mailbox, target.Password, null, token)).All(r => r.State != StageState.Failed));
        }

        return 0;
    }

    private static Task MeasureAsync(string label, MailboxCheckJob job, IReadOnlyList<Guid> ids, int parallel) =>
        Harness.MeasureAsync(label, "check", ids, parallel, async (id, token) => (await job.CheckAsync(id, manual: false, token)).Result is { Succeeded: true });

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
}
