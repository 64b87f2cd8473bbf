using MailKit.Net.Imap;
using MailKit.Security;

namespace ImapEvents.Benchmarks;

internal sealed record ImapAccount(string Username, string Password);

/// <summary>
/// Accounts on the test Dovecot (scripts/lib/test-services.sh): lines "user:{PLAIN}password" in its passwd-file, which
/// Dovecot reads again on the next login after the file changed (no auth cache is configured).
/// </summary>
internal sealed class DovecotAccounts(string host, int port, string usersFile)
{
    public string Host => host;

    public int Port => port;

    /// <summary>Dovecot's master process (its pid file beside the users file), for its CPU; null when it cannot be found.</summary>
    public int? MasterPid
    {
        get
        {
            var pidFile = Path.Combine(Path.GetDirectoryName(usersFile)!, "run", "master.pid");
            return File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) ? pid : null;
        }
    }

    /// <summary>Adds the accounts in one write, and returns once Dovecot lets the last one log in.</summary>
    public async Task<IReadOnlyList<ImapAccount>> CreateAsync(int count, CancellationToken cancellationToken)
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var accounts = Enumerable.Range(0, count).Select(i => new ImapAccount($"scale{i:D5}-{run}", $"pw-{Guid.NewGuid():N}")).ToList();
        await File.AppendAllLinesAsync(usersFile, accounts.Select(Line), cancellationToken);
        await WaitUntilKnownAsync(accounts[^1], cancellationToken);
        return accounts;
    }

    /// <summary>
    /// Gives the accounts another password, so that their next login fails. The file is replaced in one rename: a login
    /// of another account at that moment reads the old file or the new one, never half of one.
    /// </summary>
    public async Task BreakPasswordsAsync(IReadOnlyCollection<ImapAccount> accounts, CancellationToken cancellationToken)
    {
        var broken = accounts.ToDictionary(a => a.Username + ":", a => Line(a with { Password = "wrong-" + a.Password }), StringComparer.Ordinal);
        var lines = (await File.ReadAllLinesAsync(usersFile, cancellationToken))
            .Select(line => broken.TryGetValue(line[..(line.IndexOf(':', StringComparison.Ordinal) + 1)], out var replacement) ? replacement : line);
        var temporary = usersFile + ".new";
        await File.WriteAllLinesAsync(temporary, lines, cancellationToken);
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(temporary, usersFile, overwrite: true);
    }

    private static string Line(ImapAccount account) => $"{account.Username}:{{PLAIN}}{account.Password}";

    private async Task WaitUntilKnownAsync(ImapAccount account, CancellationToken cancellationToken)
    {
        using var client = new ImapClient { Timeout = 10_000 };
        await client.ConnectAsync(host, port, SecureSocketOptions.None, cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await client.AuthenticateAsync(new SaslMechanismPlain(account.Username, account.Password), cancellationToken);
                await client.DisconnectAsync(true, cancellationToken);
                return;
            }
            catch (AuthenticationException) when (attempt < 50)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }
}
