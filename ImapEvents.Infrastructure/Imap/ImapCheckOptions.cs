using ImapEvents.Infrastructure.Settings;

namespace ImapEvents.Infrastructure.Imap;

public sealed class ImapCheckOptions : ICheckedSettings
{
    public const string SectionName = "Imap";

    /// <summary>
    /// The longest any one step may take (connecting, logging in, each IMAP command, each message).
    /// A server that accepts TCP and then says nothing fails the check after this, never hangs a worker.
    /// </summary>
    public TimeSpan StageTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How much a server may send before login: the TLS handshake, the greeting and its capabilities, which take a
    /// few kilobytes. A server that sends more is cut off, so it cannot fill the app's memory. The login itself may
    /// read this plus 1 MB (MailKit lists folders within it), and after login each step the mailbox's message size
    /// limit plus 1 MB.
    /// </summary>
    public int MaxKilobytesBeforeLogin { get; set; } = 64;

    /// <summary>How many new messages one check imports at most; the rest wait for the next check.</summary>
    public int MaxMessagesPerCheck { get; set; } = 200;

    /// <summary>After this long a check starts no further message; the rest wait for the next check, so one slow server cannot hold a worker for hours.</summary>
    public TimeSpan CheckBudget { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Longer than any check can run: its time budget, the ten or so steps that may start before it or finish after
    /// it (connect, log in, open, search, list, one message's download and server change), and room for the database
    /// work between them. A check still marked running after this was left by an instance that stopped.
    /// </summary>
    public TimeSpan LongestCheck => CheckBudget + 10 * StageTimeout + TimeSpan.FromMinutes(5);

    /// <inheritdoc/>
    public IReadOnlyList<string> Problems() => SettingRange.All(
        SettingRange.Check("Imap__StageTimeout", StageTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)),
        SettingRange.Check("Imap__MaxKilobytesBeforeLogin", MaxKilobytesBeforeLogin, 16, 10_240),
        SettingRange.Check("Imap__MaxMessagesPerCheck", MaxMessagesPerCheck, 1, 100_000),
        SettingRange.Check("Imap__CheckBudget", CheckBudget, TimeSpan.FromSeconds(10), TimeSpan.FromHours(24)));
}
