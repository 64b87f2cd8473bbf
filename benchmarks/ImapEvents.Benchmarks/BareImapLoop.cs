using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;

namespace ImapEvents.Benchmarks;

/// <summary>
/// The least a mailbox check can cost: the IMAP conversation of a check that finds nothing new (ImapCheck with
/// "mark as seen" and nothing imported yet: connect, log in, open INBOX read-write, UID SEARCH ALL, log out), with
/// MailKit alone, no database. What the app spends beyond this is its own bookkeeping.
/// </summary>
internal static class BareImapLoop
{
    /// <summary>One pass over every account, not measured: the JIT, and Dovecot's first login of an account (which creates its maildir).</summary>
    public static Task WarmUpAsync(DovecotAccounts dovecot, IReadOnlyList<ImapAccount> accounts, int concurrency, CancellationToken cancellationToken) =>
        Harness.MeasureAsync("bare MailKit loop, warm-up", "check", accounts, concurrency,
            (account, token) => CheckAsync(dovecot, account, token), cancellationToken);

    /// <summary>Passes over every account until at least <paramref name="atLeast"/> checks, <paramref name="concurrency"/> at a time.</summary>
    public static Task<Measurement> MeasureAsync(
        DovecotAccounts dovecot, IReadOnlyList<ImapAccount> accounts, int concurrency, int atLeast, CancellationToken cancellationToken)
    {
        var passes = Math.Max(1, (int)Math.Ceiling(atLeast / (double)accounts.Count));
        var items = Enumerable.Repeat(accounts, passes).SelectMany(a => a).ToList();
        return Harness.MeasureAsync($"bare MailKit loop, {passes} pass(es)", "check", items, concurrency,
            (account, token) => CheckAsync(dovecot, account, token), cancellationToken);
    }

    private static async Task<bool> CheckAsync(DovecotAccounts dovecot, ImapAccount account, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new ImapClient { Timeout = 30_000 };
            await client.ConnectAsync(dovecot.Host, dovecot.Port, SecureSocketOptions.None, cancellationToken);
            await client.AuthenticateAsync(new SaslMechanismPlain(account.Username, account.Password), cancellationToken);
            await client.Inbox.OpenAsync(FolderAccess.ReadWrite, cancellationToken);
            await client.Inbox.SearchAsync(SearchQuery.All, cancellationToken);
            await client.DisconnectAsync(true, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return false;
        }
    }
}
