using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Scheduling;

/// <summary>How scheduled checks are claimed and run (section "Checks").</summary>
public sealed class CheckDispatchOptions
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

    /// <summary>Why these settings cannot run, in the words of the environment variables that set them; null when they can.</summary>
    public string? Invalid() =>
        Dispatchers is < 1 or > 64 ? "Checks__Dispatchers must be between 1 and 64."
        : RunLength < TimeSpan.FromSeconds(1) || RunLength > TimeSpan.FromHours(1) ? "Checks__RunLength must be between 00:00:01 and 01:00:00."
        : Concurrency is < 1 or > 10_000 ? "Checks__Concurrency must be between 1 and 10000."
        : ConcurrencyPerServer is < 1 or > 10_000 ? "Checks__ConcurrencyPerServer must be between 1 and 10000."
        : ClaimBatch is < 1 or > 10_000 ? "Checks__ClaimBatch must be between 1 and 10000."
        : Lease < TimeSpan.FromSeconds(3) || Lease > TimeSpan.FromHours(1) ? "Checks__Lease must be between 00:00:03 and 01:00:00."
        : WriteDelay < TimeSpan.Zero || WriteDelay > TimeSpan.FromMinutes(1) ? "Checks__WriteDelay must be between 00:00:00 and 00:01:00."
        : WriteBatch is < 1 or > 10_000 ? "Checks__WriteBatch must be between 1 and 10000."
        : CheckNowWait < TimeSpan.Zero || CheckNowWait > TimeSpan.FromHours(1) ? "Checks__CheckNowWait must be between 00:00:00 and 01:00:00."
        : null;
}

/// <summary>Refuses to start with settings that would stop the checks (a batch of 0 checks nothing, a lease of 0 cannot be renewed).</summary>
internal sealed class CheckDispatchOptionsValidation : IValidateOptions<CheckDispatchOptions>
{
    public ValidateOptionsResult Validate(string? name, CheckDispatchOptions options) =>
        options.Invalid() is { } why ? ValidateOptionsResult.Fail(why) : ValidateOptionsResult.Success;
}
