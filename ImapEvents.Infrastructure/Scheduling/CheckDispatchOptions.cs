using ImapEvents.Infrastructure.Settings;

namespace ImapEvents.Infrastructure.Scheduling;

/// <summary>How scheduled checks are claimed and run (section "Checks").</summary>
public sealed class CheckDispatchOptions : ICheckedSettings
{
    public const string SectionName = "Checks";

    /// <summary>
    /// How many Hangfire recurring dispatcher jobs claim due mailboxes. Each minute's runs go to whichever instance's job
    /// server is free, so with several instances more dispatchers share the work more evenly.
    /// </summary>
    public int Dispatchers { get; set; } = 4;

    /// <summary>
    /// How long one dispatcher run goes on claiming: a minute, and long enough after it for the next minute's run to
    /// have started (Hangfire starts recurring jobs up to 15 s late).
    /// </summary>
    public TimeSpan RunLength { get; set; } = TimeSpan.FromSeconds(80);

    /// <summary>
    /// How many checks one instance runs at the same time (async, no thread per check). A healthy check takes
    /// milliseconds, so few run at once; the room is for servers that hang, each holding its check until the stage
    /// timeout, so that hundreds of them cannot keep the healthy mailboxes waiting.
    /// </summary>
    public int Concurrency { get; set; } = 400;

    /// <summary>
    /// How many checks one instance runs at the same time against one server (host and port). Servers limit connections
    /// themselves (Dovecot's default is 100 sessions); a backlog after a restart must not run into that limit and fail
    /// checks that would pass. Raise it for thousands of mailboxes on one distant server.
    /// </summary>
    public int ConcurrencyPerServer { get; set; } = 32;

    /// <summary>The most due mailboxes one claim takes.</summary>
    public int ClaimBatch { get; set; } = 100;

    /// <summary>
    /// How long a claim holds without being renewed. The instance renews its claims a few times within it while their
    /// checks run, so a claim of an instance that died returns within this.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long finished checks wait to be written together; a check that raised an event is written at once.</summary>
    public TimeSpan WriteDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The most finished checks written in one transaction.</summary>
    public int WriteBatch { get; set; } = 200;

    /// <summary>
    /// How long Check now (and the check on save) waits for a check of the same mailbox that is under way, usually a
    /// scheduled one taking seconds, before it hands itself back to Hangfire's retry.
    /// </summary>
    public TimeSpan CheckNowWait { get; set; } = TimeSpan.FromMinutes(2);

    /// <inheritdoc/>
    public IReadOnlyList<string> Problems() => SettingRange.All(
        SettingRange.Check("Checks__Dispatchers", Dispatchers, 1, 64),
        SettingRange.Check("Checks__RunLength", RunLength, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
        SettingRange.Check("Checks__Concurrency", Concurrency, 1, 10_000),
        SettingRange.Check("Checks__ConcurrencyPerServer", ConcurrencyPerServer, 1, 10_000),
        SettingRange.Check("Checks__ClaimBatch", ClaimBatch, 1, 10_000),
        SettingRange.Check("Checks__Lease", Lease, TimeSpan.FromSeconds(3), TimeSpan.FromHours(1)),
        SettingRange.Check("Checks__WriteDelay", WriteDelay, TimeSpan.Zero, TimeSpan.FromMinutes(1)),
        SettingRange.Check("Checks__WriteBatch", WriteBatch, 1, 10_000),
        SettingRange.Check("Checks__CheckNowWait", CheckNowWait, TimeSpan.Zero, TimeSpan.FromHours(1)));
}
