using Hangfire;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Imap;

/// <summary>
/// Closes the checks that stay "running" because the process running them is gone (kill -9, a crash, out of
/// memory), so none keeps no outcome for ever. A check of a process on this machine is closed as soon as that
/// process is found gone: at start-up, which is when a restarted instance finds its predecessor's, and every few
/// minutes. A check of another machine's instance is closed once it has run longer than any check can.
/// </summary>
public sealed class InterruptedCheckSweep(
    IDbContextFactory<AppDbContext> dbFactory,
    CheckRecorder recorder,
    IOptions<ImapCheckOptions> options,
    TimeProvider time,
    ILogger<InterruptedCheckSweep> logger)
{
    public const string RecurringJobId = "close-interrupted-checks";

    public const string ProcessEnded =
        "The ImapEvents process running this check ended before it finished (killed, crashed or out of memory); " +
        "the next check picks up where this one stopped.";

    public static void Schedule(IRecurringJobManager recurringJobs) =>
        recurringJobs.AddOrUpdate<InterruptedCheckSweep>(RecurringJobId, JobQueues.Default, sweep => sweep.RunAsync(CancellationToken.None), "*/5 * * * *");

    public static string RanTooLong(TimeSpan longest) =>
        $"Still marked as running {longest.TotalMinutes:0} minutes after it started, longer than any check can take: the ImapEvents " +
        "instance running it has stopped. The next check picks up where this one stopped.";

    /// <returns>How many checks it closed.</returns>
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    [AutomaticRetry(Attempts = 0)]
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var longest = options.Value.LongestCheck;
        var startedBefore = time.GetUtcNow() - longest;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var running = await db.MailboxChecks.AsNoTracking()
            .Where(c => c.Outcome == null)
            .OrderBy(c => c.StartedAt)
            .Take(500)
            .ToListAsync(cancellationToken);

        var closed = 0;
        foreach (var check in running)
        {
            var reason = WorkerProcess.HasEnded(check.RunBy, check.StartedAt) ? ProcessEnded
                : check.StartedAt < startedBefore ? RanTooLong(longest)
                : null;
            if (reason is not null && await recorder.MarkInterruptedAsync(check, reason, cancellationToken))
            {
                logger.LogWarning("Check {CheckId} of mailbox {MailboxId}, started {StartedAt} by {RunBy}, closed as interrupted: {Reason}",
                    check.Id, check.MailboxId, check.StartedAt, check.RunBy ?? "an earlier version", reason);
                closed++;
            }
        }

        return closed;
    }
}
