using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;
using Hangfire;
using Hangfire.Storage;
using ImapEvents.Core.Checks;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Scheduling;

/// <summary>
/// Runs the scheduled checks. A few Hangfire recurring jobs ("check-dispatcher:1", …) start every minute; each run
/// claims due mailboxes in batches (<see cref="CheckLeases"/>), checks them concurrently within this instance's
/// slots, and writes their outcomes together (<see cref="CheckRecorder.RecordAsync"/>). A run lasts a little longer
/// than the minute, so the next one is on before it ends, however late Hangfire starts it. The runs have a job server
/// of their own (queue "dispatch"), so they never take the workers of Check now.
/// </summary>
public sealed class CheckDispatcher(
    IDbContextFactory<AppDbContext> dbFactory,
    CheckLeases leases,
    CheckSlots slots,
    MailboxCheckJob checks,
    CheckRecorder recorder,
    MailboxSchedule schedule,
    ImapEventsMetrics metrics,
    IOptions<CheckDispatchOptions> options,
    TimeProvider time,
    ILogger<CheckDispatcher> logger)
{
    public const string RecurringJobIdPrefix = "check-dispatcher:";

    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan FullServerPoll = TimeSpan.FromMilliseconds(200);

    private static readonly TimeSpan UnreadablePause = TimeSpan.FromHours(1);

    private static readonly TimeSpan ErrorPause = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Sets up the dispatcher jobs, as many as configured, removes any beyond that number, and starts them now: what is
    /// due after a restart is checked at once, not at the next minute.
    /// </summary>
    public static void Schedule(IRecurringJobManager recurringJobs, JobStorage storage, CheckDispatchOptions options)
    {
        var wanted = Enumerable.Range(1, Math.Max(1, options.Dispatchers)).ToList();
        foreach (var number in wanted)
        {
            recurringJobs.AddOrUpdate<CheckDispatcher>(
                $"{RecurringJobIdPrefix}{number}",
                JobQueues.Dispatch,
                dispatcher => dispatcher.RunAsync(number, CancellationToken.None),
                Cron.Minutely(),
                new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        }

        using var connection = storage.GetConnection();
        var ids = wanted.Select(number => $"{RecurringJobIdPrefix}{number}").ToHashSet(StringComparer.Ordinal);
        foreach (var extra in connection.GetRecurringJobs().Select(job => job.Id)
                     .Where(id => id.StartsWith(RecurringJobIdPrefix, StringComparison.Ordinal) && !ids.Contains(id)))
        {
            recurringJobs.RemoveIfExists(extra);
        }

        foreach (var number in wanted)
        {
            recurringJobs.Trigger($"{RecurringJobIdPrefix}{number}");
        }
    }

    [Queue(JobQueues.Dispatch)]
    // A run that fails (PostgreSQL went away under Hangfire itself) is not retried and not kept in the Failed list: the
    // next minute's run takes over, and the log says what happened. A Failed list filling up during an outage would
    // only hide the failures that need a person.
    [AutomaticRetry(Attempts = 0, LogEvents = false, OnAttemptsExceeded = AttemptsExceededAction.Delete)]
    [JobDisplayName("Run due mailbox checks (dispatcher {0})")]
    public async Task RunAsync(int number, CancellationToken cancellationToken)
    {
        if (number == 1)
        {
            await RepairScheduleAsync(cancellationToken);
        }

        var settings = options.Value;
        var writer = new OutcomeWriter(recorder, leases, settings, logger);
        var running = new List<Task>();
        var clock = Stopwatch.StartNew();
        try
        {
            while (clock.Elapsed < settings.RunLength && !cancellationToken.IsCancellationRequested)
            {
                running.RemoveAll(task => task.IsCompleted);
                try
                {
                    if (slots.Free == 0)
                    {
                        await slots.WaitUntilFreeAsync(IdlePoll, cancellationToken);
                    }
                    else if (!await ClaimAndStartAsync(settings, writer, running, cancellationToken))
                    {
                        // What is left due may be waiting for a full server, which frees a slot as soon as one of its checks ends.
                        await Task.Delay(slots.FullServers().Length > 0 ? FullServerPoll : IdlePoll, cancellationToken);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // PostgreSQL restarting or unreachable: this run waits and tries again; the checks under way go on.
                    logger.LogWarning(ex, "Due mailboxes could not be claimed; trying again in {Delay}", ErrorPause);
                    await Task.Delay(ErrorPause, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the checks under way stop, and what finished is still written below.
        }
        finally
        {
            await Task.WhenAll(running);
            await writer.CompleteAsync();
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Claims what is due, as much as there are free slots, and starts checking it.</summary>
    /// <returns>False when nothing was due.</returns>
    private async Task<bool> ClaimAndStartAsync(CheckDispatchOptions settings, OutcomeWriter writer, List<Task> running, CancellationToken cancellationToken)
    {
        var claimed = await leases.ClaimDueAsync(Math.Min(slots.Free, settings.ClaimBatch), slots.FullServers(), cancellationToken);
        if (claimed.Count == 0)
        {
            return false;
        }

        var notStarted = claimed.ToDictionary(c => c.MailboxId);
        try
        {
            // A Check now's row was written when it started; the interrupted-check sweep closes it, not this.
            if (claimed.Where(c => c.Abandoned is { } previous && !CheckLeases.IsCheckNowClaim(previous)).ToList() is { Count: > 0 } abandoned)
            {
                await recorder.RecordAbandonedAsync(abandoned, cancellationToken);
            }

            var mailboxes = await LoadAsync(notStarted.Keys, cancellationToken);
            foreach (var due in claimed)
            {
                if (mailboxes.TryGetValue(due.MailboxId, out var unreadable) && unreadable is null)
                {
                    // A row this version cannot read (a newer version's value): tried again in an hour, not every second.
                    await leases.PostponeAsync(due.MailboxId, due.Claim, time.GetUtcNow() + UnreadablePause, cancellationToken);
                    notStarted.Remove(due.MailboxId);
                    continue;
                }

                if (!mailboxes.TryGetValue(due.MailboxId, out var mailbox) || mailbox is not { Enabled: true })
                {
                    // Deleted, or disabled without its due time cleared (by hand): nothing to check, and not due again.
                    await leases.ReleaseAsync([(due.MailboxId, due.Claim)], cancellationToken, unschedule: true);
                    notStarted.Remove(due.MailboxId);
                    continue;
                }

                // A server that filled up within this batch: the rest of its mailboxes are given back, still due.
                var server = CheckSlots.ServerKey(mailbox.ServerName, mailbox.ServerPort);
                if (!slots.TryEnterServer(server))
                {
                    continue;
                }

                try
                {
                    await slots.WaitAsync(cancellationToken);
                }
                catch
                {
                    slots.LeaveServer(server);
                    throw;
                }

                notStarted.Remove(due.MailboxId);
                running.Add(CheckAsync(mailbox, server, due, writer, cancellationToken));
            }
        }
        finally
        {
            // Whatever was claimed and not started (skipped, or the run stopped half-way) is given back now, not at the lease's end.
            if (notStarted.Count > 0)
            {
                await GiveBackAsync([.. notStarted.Values]);
            }
        }

        return true;
    }

    /// <summary>
    /// The claimed mailboxes as stored; null for one whose row cannot be read (a value this version does not know,
    /// written by hand or by a newer version). One such row must not stop the checks of all the others.
    /// </summary>
    private async Task<Dictionary<Guid, Core.Mailboxes.Mailbox?>> LoadAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        try
        {
            return await db.Mailboxes.AsNoTracking().Where(m => ids.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => (Core.Mailboxes.Mailbox?)m, cancellationToken);
        }
        catch (Exception ex) when (ex is not (DbException or OperationCanceledException))
        {
            var loaded = new Dictionary<Guid, Core.Mailboxes.Mailbox?>();
            foreach (var id in ids)
            {
                try
                {
                    loaded[id] = await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
                }
                catch (Exception one) when (one is not (DbException or OperationCanceledException))
                {
                    logger.LogError(one, "Mailbox {MailboxId} cannot be read, so it is not checked; correct or delete its row", id);
                    loaded[id] = null;
                }
            }

            return loaded;
        }
    }

    private async Task RepairScheduleAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await schedule.RepairAsync(cancellationToken) is > 0 and var repaired)
            {
                logger.LogInformation("Set the due times of {Count} mailboxes that had none or one they should not have", repaired);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "The mailbox schedule could not be repaired; the due mailboxes are checked all the same");
        }
    }

    private async Task CheckAsync(Core.Mailboxes.Mailbox mailbox, string server, DueMailbox due, OutcomeWriter writer, CancellationToken cancellationToken)
    {
        using var scope = logger.BeginScope("Mailbox {MailboxId}", mailbox.Id);
        try
        {
            var started = time.GetUtcNow();
            metrics.CheckStarted(started - due.DueAt);
            var result = await checks.RunCheckAsync(mailbox, cancellationToken);
            var check = new MailboxCheck
            {
                Id = Guid.NewGuid(),
                MailboxId = mailbox.Id,
                StartedAt = started,
                DueAt = due.DueAt,
                StageReached = CheckStage.Connect,
                RunBy = WorkerProcess.Current,
            };
            await writer.AddAsync(new FinishedCheck(mailbox, check, result, time.GetUtcNow(), RowWritten: false, due.Claim));
        }
        catch (Exception ex)
        {
            if (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogError(ex, "The check of mailbox {MailboxId} stopped unexpectedly; it runs again when next due", mailbox.Id);
            }

            await GiveBackAsync([due]);
        }
        finally
        {
            slots.LeaveServer(server);
            slots.Release();
        }
    }

    private async Task GiveBackAsync(DueMailbox[] claimed)
    {
        try
        {
            await leases.ReleaseAsync(claimed.Select(c => (c.MailboxId, c.Claim)).ToList(), CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "The claims on {Count} mailboxes could not be given back; they run out by themselves", claimed.Length);
        }
    }

    /// <summary>
    /// Gathers finished checks and writes them together: as many as finish within <see cref="CheckDispatchOptions.WriteDelay"/>,
    /// at once when one failed (its event should not wait). One writer per dispatcher run.
    /// </summary>
    private sealed class OutcomeWriter
    {
        private readonly Channel<FinishedCheck> finished = Channel.CreateUnbounded<FinishedCheck>(new UnboundedChannelOptions { SingleReader = true });
        private readonly CheckRecorder recorder;
        private readonly CheckLeases leases;
        private readonly CheckDispatchOptions settings;
        private readonly ILogger logger;
        private readonly Task writing;

        public OutcomeWriter(CheckRecorder recorder, CheckLeases leases, CheckDispatchOptions settings, ILogger logger)
        {
            this.recorder = recorder;
            this.leases = leases;
            this.settings = settings;
            this.logger = logger;
            writing = Task.Run(WriteAsync);
        }

        public ValueTask AddAsync(FinishedCheck check) => finished.Writer.WriteAsync(check);

        public Task CompleteAsync()
        {
            finished.Writer.TryComplete();
            return writing;
        }

        private async Task WriteAsync()
        {
            var reader = finished.Reader;
            var batch = new List<FinishedCheck>();
            while (await reader.WaitToReadAsync())
            {
                var waited = Stopwatch.StartNew();
                var urgent = false;
                while (batch.Count < settings.WriteBatch)
                {
                    while (batch.Count < settings.WriteBatch && reader.TryRead(out var check))
                    {
                        batch.Add(check);
                        urgent |= !check.Result.Succeeded;
                    }

                    var left = settings.WriteDelay - waited.Elapsed;
                    if (urgent || batch.Count >= settings.WriteBatch || left <= TimeSpan.Zero)
                    {
                        break;
                    }

                    using var timeout = new CancellationTokenSource(left);
                    try
                    {
                        if (!await reader.WaitToReadAsync(timeout.Token))
                        {
                            break;
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }

                await WriteBatchAsync(batch);
                batch.Clear();
            }
        }

        private async Task WriteBatchAsync(List<FinishedCheck> batch)
        {
            try
            {
                await recorder.RecordAsync(batch, CancellationToken.None);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "{Count} check outcomes could not be written together; writing them one by one", batch.Count);
                foreach (var check in batch)
                {
                    try
                    {
                        await recorder.RecordAsync([check], CancellationToken.None);
                    }
                    catch (Exception single)
                    {
                        logger.LogError(single, "The outcome of the check of mailbox {MailboxId} could not be written", check.Mailbox.Id);
                        await recorder.ReleaseUnrecordedAsync(check, CancellationToken.None);
                    }
                }
            }
            finally
            {
                leases.Forget(batch.Select(c => (c.Mailbox.Id, c.Claim!)));
            }

            foreach (var check in batch.Where(c => !c.Result.Succeeded))
            {
                logger.LogInformation(
                    "Checked mailbox {MailboxId}: failed at {Stage}: {Error}", check.Mailbox.Id, check.Result.StageReached, check.Result.Failure?.Message);
            }
        }
    }
}
