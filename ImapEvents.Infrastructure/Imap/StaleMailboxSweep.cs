using System.Globalization;
using Hangfire;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Core.Text;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Maintenance;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Imap;

/// <summary>
/// Raises IMAP Mailbox Stale for every enabled mailbox with no completed check for several of its poll intervals: its
/// recurring job is gone, the job server stopped, or the workers are stuck. A check cannot report that, being what is
/// missing, so a sweep does, every minute. One event per staleness: the sweep marks the mailbox (StaleSince) in the
/// transaction that stores the event, and the next check that completes clears the mark (CheckRecorder).
/// </summary>
public sealed class StaleMailboxSweep(
    IDbContextFactory<AppDbContext> dbFactory,
    IImapEventDispatcher dispatcher,
    MaintenanceCalendar maintenance,
    IOptions<IncidentSettings> settings,
    IOptions<ImapCheckOptions> checkOptions,
    ImapEventsMetrics metrics,
    TimeProvider time,
    ILogger<StaleMailboxSweep> logger)
{
    public const string RecurringJobId = "raise-stale-mailboxes";

    /// <summary>Mailboxes raised by one run at most, so that its transaction stays short; any others follow a minute later.</summary>
    public const int BatchSize = 200;

    public static void Schedule(IRecurringJobManager recurringJobs) =>
        recurringJobs.AddOrUpdate<StaleMailboxSweep>(RecurringJobId, JobQueues.Default, sweep => sweep.RunAsync(CancellationToken.None), Cron.Minutely());

    /// <returns>How many mailboxes it found stale (one event each).</returns>
    /// <remarks>
    /// No DisableConcurrentExecution: the claim is one statement that skips rows another run holds and re-reads rows
    /// another run changed, so runs at the same time (two instances) raise each staleness once, and never wait on each other.
    /// </remarks>
    [AutomaticRetry(Attempts = 0)]
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var intervals = settings.Value.StaleAfterIntervals;
        if (intervals < 1)
        {
            // Incidents:StaleAfterIntervals = 0 turns the event off.
            return 0;
        }

        var now = time.GetUtcNow();
        // A check still running is not a stale mailbox (a long import on a 1-minute mailbox takes minutes). One running
        // longer than any check can was left by an instance that is gone; InterruptedCheckSweep closes it, and it counts no more.
        var runningSince = now - checkOptions.Value.LongestCheck;
        var none = nameof(CheckErrorKind.None);

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // A mailbox never checked has no status row to mark yet: give the stale ones a blank one first (what a
        // status row holds before any check). In key order, so that two runs inserting the same rows wait, never deadlock;
        // a first check finishing meanwhile creates its row the same way (CheckRecorder), and waits for this one.
        await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO mailbox_status ("MailboxId", "ConsecutiveFailures", "LastErrorKind", "MessagesImported")
            SELECT m."Id", 0, {none}, 0
            FROM mailboxes AS m
            WHERE m."Enabled"
              AND NOT EXISTS (SELECT 1 FROM mailbox_status AS s WHERE s."MailboxId" = m."Id")
              AND GREATEST(m."CreatedAt", m."UpdatedAt") < {now} - m."PollIntervalMinutes" * {intervals} * INTERVAL '1 minute'
              AND NOT EXISTS (
                  SELECT 1 FROM mailbox_checks AS c
                  WHERE c."MailboxId" = m."Id" AND c."Outcome" IS NULL AND c."StartedAt" > {runningSince})
            ORDER BY m."Id"
            LIMIT {BatchSize}
            ON CONFLICT ("MailboxId") DO NOTHING
            """,
            cancellationToken);

        // The claim. Staleness counts from the last completed check, or from when the mailbox was created or last
        // saved (enabled again, its interval changed), whichever is latest. SKIP LOCKED passes over rows another run
        // or a finishing check holds; a row changed since this statement began is checked again as it is now
        // (PostgreSQL re-evaluates the conditions of a row it locks), so a mark set, or a check completed, by someone
        // else in the meantime is never marked again.
        var claimed = await db.Database.SqlQuery<StaleClaim>(
            $"""
            WITH stale AS (
                SELECT s."MailboxId", s."LastCheckAt", GREATEST(s."LastCheckAt", m."CreatedAt", m."UpdatedAt") AS "Since"
                FROM mailbox_status AS s
                JOIN mailboxes AS m ON m."Id" = s."MailboxId"
                WHERE m."Enabled"
                  AND s."StaleSince" IS NULL
                  AND GREATEST(s."LastCheckAt", m."CreatedAt", m."UpdatedAt") < {now} - m."PollIntervalMinutes" * {intervals} * INTERVAL '1 minute'
                  AND NOT EXISTS (
                      SELECT 1 FROM mailbox_checks AS c
                      WHERE c."MailboxId" = m."Id" AND c."Outcome" IS NULL AND c."StartedAt" > {runningSince})
                ORDER BY s."MailboxId"
                LIMIT {BatchSize}
                FOR UPDATE OF s SKIP LOCKED
            )
            UPDATE mailbox_status AS s SET "StaleSince" = {now}
            FROM stale
            WHERE s."MailboxId" = stale."MailboxId"
            RETURNING s."MailboxId", stale."LastCheckAt", stale."Since"
            """).ToListAsync(cancellationToken);

        var raised = new List<ImapEvent>();
        if (claimed.Count > 0)
        {
            var ids = claimed.Select(c => c.MailboxId).ToList();
            var mailboxes = await db.Mailboxes.AsNoTracking().Where(m => ids.Contains(m.Id)).ToDictionaryAsync(m => m.Id, cancellationToken);
            var windows = await MaintenanceCalendar.ActiveCandidatesAsync(db, now, cancellationToken);
            foreach (var claim in claimed)
            {
                var mailbox = mailboxes[claim.MailboxId];
                raised.Add(NewEvent(mailbox, claim, now, maintenance.Covers(windows, mailbox.Id, mailbox.ServerName, now)));
            }

            db.Events.AddRange(raised);
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);

        foreach (var imapEvent in raised)
        {
            metrics.EventRaised(imapEvent.Type);
            logger.LogWarning("Mailbox {MailboxId} ({MailboxName}) is stale: {Message}", imapEvent.MailboxId, imapEvent.MailboxName, imapEvent.ErrorMessage);
            try
            {
                await dispatcher.DispatchAsync(imapEvent, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The event is stored and the mailbox marked; the pending-event sweep evaluates its rules shortly.
                logger.LogWarning(ex, "Rules for event {EventId} could not be evaluated now; the pending-event sweep retries", imapEvent.Id);
            }
        }

        return raised.Count;
    }

    /// <summary>What IMAP Mailbox Stale says: since when, against which interval, and why it matters.</summary>
    /// <param name="lastCheckAt">The last completed check, if any.</param>
    /// <param name="since">Where staleness counts from: that check, or the mailbox's creation or last save when later.</param>
    public static string Message(DateTimeOffset? lastCheckAt, DateTimeOffset since, int pollIntervalMinutes, DateTimeOffset now)
    {
        var from = lastCheckAt == since
            ? string.Create(CultureInfo.InvariantCulture, $"since {since:yyyy-MM-dd HH:mm} UTC")
            : string.Create(CultureInfo.InvariantCulture, $"since it was saved on {since:yyyy-MM-dd HH:mm} UTC");
        return $"No check of this mailbox completed {from}, {DurationText.Of(now - since)} ago, though it is due every " +
            $"{DurationText.Of(TimeSpan.FromMinutes(pollIntervalMinutes))}; its scheduler or worker may have stopped. " +
            "Until a check completes, no failure of this mailbox can be reported.";
    }

    private static ImapEvent NewEvent(Mailbox mailbox, StaleClaim claim, DateTimeOffset now, bool inMaintenance)
    {
        var imapEvent = ImapEvent.About(mailbox, ImapEventType.MailboxStale, now);
        // No check ran, so no stage failed; rules see it where a check begins.
        imapEvent.Stage = CheckStage.Connect;
        imapEvent.ErrorKind = CheckErrorKind.None;
        imapEvent.ErrorMessage = Message(claim.LastCheckAt, claim.Since, mailbox.PollIntervalMinutes, now);
        imapEvent.InMaintenance = inMaintenance;
        return imapEvent;
    }

    /// <summary>One row of the claim's RETURNING.</summary>
    internal sealed class StaleClaim
    {
        public Guid MailboxId { get; set; }

        public DateTimeOffset? LastCheckAt { get; set; }

        public DateTimeOffset Since { get; set; }
    }
}
