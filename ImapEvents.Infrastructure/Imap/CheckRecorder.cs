using System.Globalization;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Text;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Infrastructure.Maintenance;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Scheduling;
using ImapEvents.Infrastructure.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Imap;

/// <summary>Writes each check, the mailbox's health and, when the check failed, exactly one event.</summary>
public sealed class CheckRecorder(
    IDbContextFactory<AppDbContext> dbFactory,
    IImapEventDispatcher dispatcher,
    MaintenanceCalendar maintenance,
    IOptions<IncidentSettings> settings,
    ImapEventsMetrics metrics,
    CheckLeases leases,
    TimeProvider time,
    Microsoft.Extensions.Logging.ILogger<CheckRecorder> logger)
{
    public async Task<MailboxCheck> StartAsync(Guid mailboxId, bool manual, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var check = new MailboxCheck
        {
            Id = Guid.NewGuid(),
            MailboxId = mailboxId,
            StartedAt = time.GetUtcNow(),
            StageReached = CheckStage.Connect,
            Manual = manual,
            RunBy = WorkerProcess.Current,
        };
        db.MailboxChecks.Add(check);
        await db.SaveChangesAsync(cancellationToken);
        return check;
    }

    public const string StoppedByShutdown = "Stopped because ImapEvents was shutting down; the next check runs as usual.";

    /// <summary>
    /// Closes the row of a check that did not finish (a shutdown stopped it, or its process is gone) and says so beside
    /// the mailbox's health. No event, and no change to the health itself: an interruption says nothing about the server.
    /// </summary>
    /// <returns>False when the check had finished after all.</returns>
    public async Task<bool> MarkInterruptedAsync(MailboxCheck check, string reason, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var closed = await db.MailboxChecks.Where(c => c.Id == check.Id && c.Outcome == null).ExecuteUpdateAsync(update => update
            .SetProperty(c => c.FinishedAt, time.GetUtcNow())
            .SetProperty(c => c.Outcome, CheckOutcome.Interrupted)
            .SetProperty(c => c.ErrorMessage, reason),
            cancellationToken);
        if (closed == 0)
        {
            return false;
        }

        var status = (await StatusesAsync(db, [check.MailboxId], cancellationToken))[check.MailboxId];

        if (status.LastInterruptedCheckAt is null || status.LastInterruptedCheckAt < check.StartedAt)
        {
            status.LastInterruptedCheckAt = check.StartedAt;
            status.LastInterruption = reason;
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        metrics.CheckFinished(CheckOutcome.Interrupted, check.StageReached, time.GetUtcNow() - check.StartedAt);
        return true;
    }

    /// <summary>
    /// Leaves a trace of scheduled checks that never finished: their claims ran out instead of being given back, because
    /// the instance running them died or lost the database for longer than a lease. Each gets a check row "interrupted"
    /// and a line beside its mailbox's health; no event (the server may well be fine). The mailbox is being checked again.
    /// </summary>
    public async Task RecordAbandonedAsync(IReadOnlyList<DueMailbox> abandoned, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var ids = abandoned.Select(a => a.MailboxId).ToArray();
        var existing = await db.Mailboxes.Where(m => ids.Contains(m.Id)).Select(m => m.Id).ToListAsync(cancellationToken);
        var statuses = await StatusesAsync(db, [.. existing], cancellationToken);
        foreach (var claim in abandoned.Where(a => statuses.ContainsKey(a.MailboxId)))
        {
            var reason = StoredText.Clip(
                $"Did not finish: {claim.Abandoned} was running it and stopped, or lost the database, before writing its outcome. Checked again.", 2000);
            db.MailboxChecks.Add(new MailboxCheck
            {
                Id = Guid.NewGuid(),
                MailboxId = claim.MailboxId,
                // When it started is not known; it was due then.
                StartedAt = claim.DueAt,
                DueAt = claim.DueAt,
                FinishedAt = now,
                StageReached = CheckStage.Connect,
                Outcome = CheckOutcome.Interrupted,
                ErrorMessage = reason,
                RunBy = claim.Abandoned is { } previous ? StoredText.Clip(previous, 300) : null,
            });
            var status = statuses[claim.MailboxId];
            if (status.LastInterruptedCheckAt is null || status.LastInterruptedCheckAt < claim.DueAt)
            {
                status.LastInterruptedCheckAt = claim.DueAt;
                status.LastInterruption = reason;
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        foreach (var claim in abandoned.Where(a => statuses.ContainsKey(a.MailboxId)))
        {
            metrics.CheckFinished(CheckOutcome.Interrupted, CheckStage.Connect, now - claim.DueAt);
        }
    }

    /// <summary>
    /// When a check's outcome cannot be written at all: its claim is given back with the next due time, so that the
    /// mailbox is not checked again and again every lease, each time failing the same way.
    /// </summary>
    public async Task ReleaseUnrecordedAsync(FinishedCheck check, CancellationToken cancellationToken)
    {
        if (check.Claim is null)
        {
            return;
        }

        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await CheckLeases.ReleaseWithNextDueAsync(db, [(check.Mailbox.Id, check.Claim, MailboxSchedule.NextDue(check.Mailbox, time.GetUtcNow()))], cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger, ex,
                "The claim on mailbox {MailboxId} could not be given back; it runs out by itself", check.Mailbox.Id);
        }
    }

    /// <summary>
    /// Records the outcome of a check whose row was written when it started (Check now), its mailbox's health and
    /// incident, and the events it raised, in one transaction (the caller holds the mailbox's claim, so checks of one
    /// mailbox never interleave here); then dispatches them.
    /// </summary>
    /// <returns>The events raised: a failure (one per failed check, as ever), a recovery, a certificate warning.</returns>
    public async Task<IReadOnlyList<ImapEvent>> FinishAsync(Mailbox mailbox, MailboxCheck check, CheckResult result, CancellationToken cancellationToken)
    {
        var recorded = await RecordAsync([new FinishedCheck(mailbox, check, result, time.GetUtcNow(), RowWritten: true)], cancellationToken);
        return recorded.GetValueOrDefault(check.Id) ?? [];
    }

    /// <summary>
    /// Records finished checks together, in one transaction: their rows, their mailboxes' health and incidents, the
    /// events they raised and, for scheduled checks, the claims given back with each mailbox's next due time. Then
    /// dispatches the events. A check whose mailbox was deleted meanwhile is dropped, and so is a scheduled one whose mailbox was disabled.
    /// </summary>
    /// <returns>The events each check raised, by check id.</returns>
    public async Task<IReadOnlyDictionary<Guid, IReadOnlyList<ImapEvent>>> RecordAsync(
        IReadOnlyList<FinishedCheck> checks, CancellationToken cancellationToken)
    {
        var raisedByCheck = new Dictionary<Guid, IReadOnlyList<ImapEvent>>();
        var allRaised = new List<ImapEvent>();
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var ids = checks.Select(c => c.Mailbox.Id).Distinct().ToArray();

            // Read under a share lock: disabling or deleting a mailbox closes its incident in a transaction that changes
            // its row first, so either that waits for these outcomes and closes what they open, or this sees the mailbox
            // disabled and opens nothing no check would ever close (a check of a disabled mailbox, such as Check now,
            // still records its event). A deleted mailbox is not found, and its check is dropped.
            var current = (await db.Database
                    .SqlQuery<MailboxNow>($"""SELECT "Id", "Enabled", "PollIntervalMinutes" FROM mailboxes WHERE "Id" = ANY({ids}) FOR SHARE""")
                    .ToListAsync(cancellationToken))
                .ToDictionary(m => m.Id);
            var statuses = await StatusesAsync(db, current.Keys.ToArray(), cancellationToken);
            var monitoredIds = current.Values.Where(m => m.Enabled).Select(m => m.Id).ToList();
            var incidents = await db.Incidents.Where(i => i.MailboxId != null && monitoredIds.Contains(i.MailboxId.Value) && i.ClosedAt == null)
                .ToDictionaryAsync(i => i.MailboxId!.Value, cancellationToken);
            List<Core.Maintenance.MaintenanceWindow>? windows = null;

            async Task<bool> InMaintenanceAsync(Mailbox mailbox, DateTimeOffset at)
            {
                windows ??= await MaintenanceCalendar.ActiveCandidatesAsync(db, at, cancellationToken);
                return maintenance.Covers(windows, mailbox.Id, mailbox.ServerName, at);
            }

            var now = time.GetUtcNow();
            var released = new List<(Guid MailboxId, string Claim, DateTimeOffset? NextDue)>();
            foreach (var finished in checks)
            {
                if (!current.TryGetValue(finished.Mailbox.Id, out var mailboxNow))
                {
                    continue;
                }

                if (finished.Claim is { } disabledClaim && !mailboxNow.Enabled)
                {
                    // Disabled while its scheduled check ran: whoever disabled it expects no more alerts from it.
                    released.Add((mailboxNow.Id, disabledClaim, null));
                    continue;
                }

                var raised = await RecordOneAsync(
                    db, finished, statuses[mailboxNow.Id], mailboxNow.Enabled, incidents.GetValueOrDefault(mailboxNow.Id), InMaintenanceAsync, cancellationToken);
                raisedByCheck[finished.Check.Id] = raised;
                allRaised.AddRange(raised);
                if (finished.Claim is { } claim)
                {
                    released.Add((mailboxNow.Id, claim, MailboxSchedule.NextDue(mailboxNow.Id, mailboxNow.Enabled, mailboxNow.PollIntervalMinutes, now)));
                }
            }

            db.Events.AddRange(allRaised);
            await db.SaveChangesAsync(cancellationToken);
            if (released.Count > 0)
            {
                // Given back in the same transaction: the next check can never start before this one's outcome is written.
                if (await CheckLeases.ReleaseWithNextDueAsync(db, released, cancellationToken) < released.Count)
                {
                    // Some of these checks outlived their claims (the database was away longer than a lease), and the
                    // instance that took them over wrote them down as never finished. They did finish: that row goes.
                    var lateIds = released.Select(r => r.MailboxId).ToArray();
                    var lateClaims = released.Select(r => r.Claim).ToArray();
                    var interrupted = nameof(CheckOutcome.Interrupted);
                    await db.Database.ExecuteSqlAsync(
                        $"""
                        DELETE FROM mailbox_checks AS c USING unnest({lateIds}, {lateClaims}) AS v(id, claim)
                        WHERE c."MailboxId" = v.id AND c."RunBy" = v.claim AND c."Outcome" = {interrupted}
                        """,
                        cancellationToken);
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }

        // At once, before the events' rules run: from here on the mailbox may be claimed again, and that claim must be renewed.
        leases.Forget(checks.Where(c => c.Claim is not null).Select(c => (c.Mailbox.Id, c.Claim!)));

        foreach (var finished in checks.Where(c => raisedByCheck.ContainsKey(c.Check.Id)))
        {
            metrics.CheckFinished(finished.Check.Outcome!.Value, finished.Result.Failure?.Stage ?? finished.Result.StageReached, finished.FinishedAt - finished.Check.StartedAt);
        }

        foreach (var imapEvent in allRaised)
        {
            metrics.EventRaised(imapEvent.Type);
        }

        await Parallel.ForEachAsync(allRaised, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (imapEvent, token) =>
        {
            try
            {
                await dispatcher.DispatchAsync(imapEvent, token);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The event is stored; the pending-event sweep evaluates its rules again shortly.
                // Failing the check here would make Hangfire retry it and raise the event twice.
                Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger, ex,
                    "Rules for event {EventId} could not be evaluated now; the pending-event sweep retries", imapEvent.Id);
            }
        });

        return raisedByCheck;
    }

    private async Task<IReadOnlyList<ImapEvent>> RecordOneAsync(
        AppDbContext db, FinishedCheck finished, MailboxStatus status, bool monitored, Incident? incident,
        Func<Mailbox, DateTimeOffset, Task<bool>> inMaintenanceAsync, CancellationToken cancellationToken)
    {
        var (mailbox, check, result, now, _, _) = finished;
        check.FinishedAt = now;
        check.StageReached = result.StageReached;
        check.Outcome = result.Succeeded ? CheckOutcome.Succeeded : CheckOutcome.Failed;
        check.ErrorKind = result.Failure?.Kind ?? CheckErrorKind.None;
        check.ErrorMessage = result.Failure?.Message;
        check.MessagesImported = result.Imported;
        check.MessagesFailed = result.Failed;
        if (finished.RowWritten)
        {
            db.MailboxChecks.Update(check);
        }
        else
        {
            db.MailboxChecks.Add(check);
        }

        status.LastCheckAt = now;
        status.LastOutcome = check.Outcome;
        status.LastStage = result.Failure?.Stage ?? result.StageReached;
        status.LastErrorKind = check.ErrorKind;
        status.LastError = check.ErrorMessage;
        status.ConsecutiveFailures = result.Succeeded ? 0 : status.ConsecutiveFailures + 1;
        status.LastSuccessAt = result.Succeeded ? now : status.LastSuccessAt;
        status.MessagesImported += result.Imported;
        status.StaleSince = null;
        // Written even when it was null as read: the stale sweep may have set it since, and a completed check
        // must leave the mailbox not stale, so that its next staleness is raised again.
        db.Entry(status).Property(s => s.StaleSince).IsModified = true;

        var raised = new List<ImapEvent>();
        if (result.Failure is { } failure)
        {
            var inMaintenance = await inMaintenanceAsync(mailbox, now);
            if (monitored && incident is null)
            {
                (incident, var opened) = Incident.Open(
                    mailbox.Id, mailbox.DisplayName, mailbox.ServerName, mailbox.ServerPort, mailbox.LoginUsername, mailbox.Security.RequiresTls(),
                    failure.Stage, failure.Kind, failure.Message, now);
                db.Incidents.Add(incident);
                db.IncidentChanges.Add(opened);
            }
            else if (incident?.RecordFailure(failure.Stage, failure.Kind, failure.Message, now) is { } change)
            {
                db.IncidentChanges.Add(change);
            }

            if (incident is not null)
            {
                incident.HeldByMaintenance |= inMaintenance;
            }
            raised.Add(NewEvent(failure.Stage.EventType(), mailbox, check, now, incident, inMaintenance, e =>
            {
                e.Stage = failure.Stage;
                e.ErrorKind = failure.Kind;
                e.ErrorMessage = failure.Message;
            }));
        }
        else if (result.Succeeded && incident is not null)
        {
            db.IncidentChanges.Add(incident.Recover(now));
            var downtime = incident.Duration(now);
            var inMaintenance = await inMaintenanceAsync(mailbox, now);
            var recovered = incident;
            raised.Add(NewEvent(ImapEventType.Recovered, mailbox, check, now, incident, inMaintenance, e =>
            {
                e.Stage = recovered.Stage;
                e.ErrorKind = recovered.ErrorKind;
                e.Downtime = downtime;
                e.ErrorMessage = $"Recovered after {Plural(recovered.FailedChecks, "failed check")} over {DurationText.Of(downtime)}. The last error was: {recovered.LastError}";
            }));
        }

        status.OpenIncidentId = incident is { IsOpen: true } ? incident.Id : null;

        if (!mailbox.Security.RequiresTls())
        {
            // A mailbox moved to a plain connection has no certificate; the old one's expiry would only mislead.
            status.CertificateExpiresAt = null;
            status.CertificateIssuer = null;
            status.CertificateSubject = null;
        }
        else if (result.Certificate is { } certificate)
        {
            status.CertificateExpiresAt = certificate.NotAfter;
            status.CertificateIssuer = certificate.Issuer;
            status.CertificateSubject = certificate.Subject;
            var today = DateOnly.FromDateTime(now.UtcDateTime);
            if (certificate.NotAfter - now <= TimeSpan.FromDays(settings.Value.CertificateWarningDays) && status.CertificateWarnedOn != today)
            {
                status.CertificateWarnedOn = today;
                var inMaintenance = await inMaintenanceAsync(mailbox, now);
                raised.Add(NewEvent(ImapEventType.CertificateExpiring, mailbox, check, now, incident: null, inMaintenance, e =>
                {
                    e.Stage = CheckStage.Connect;
                    e.CertificateExpiresAt = certificate.NotAfter;
                    e.CertificateIssuer = certificate.Issuer;
                    e.ErrorMessage = CertificateWarning(certificate, now);
                }));
            }
        }

        return raised;
    }

    /// <summary>
    /// The status rows of these mailboxes, tracked. Missing ones are created first with insert-if-absent, not Add: the
    /// stale sweep creates the row of a mailbox never checked, and may be doing so right now; this waits for it
    /// instead of failing on the key.
    /// </summary>
    private static async Task<Dictionary<Guid, MailboxStatus>> StatusesAsync(AppDbContext db, Guid[] mailboxIds, CancellationToken cancellationToken)
    {
        var statuses = await db.MailboxStatuses.Where(s => mailboxIds.Contains(s.MailboxId)).ToDictionaryAsync(s => s.MailboxId, cancellationToken);
        var missing = mailboxIds.Where(id => !statuses.ContainsKey(id)).ToArray();
        if (missing.Length == 0)
        {
            return statuses;
        }

        var none = nameof(CheckErrorKind.None);
        await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO mailbox_status ("MailboxId", "ConsecutiveFailures", "LastErrorKind", "MessagesImported")
            SELECT id, 0, {none}, 0 FROM unnest({missing}) AS id
            ON CONFLICT ("MailboxId") DO NOTHING
            """,
            cancellationToken);
        foreach (var status in await db.MailboxStatuses.Where(s => missing.Contains(s.MailboxId)).ToListAsync(cancellationToken))
        {
            statuses[status.MailboxId] = status;
        }

        return statuses;
    }

    private static ImapEvent NewEvent(
        ImapEventType type, Mailbox mailbox, MailboxCheck check, DateTimeOffset now, Incident? incident, bool inMaintenance, Action<ImapEvent> fill)
    {
        var imapEvent = ImapEvent.About(mailbox, type, now);
        imapEvent.CheckId = check.Id;
        imapEvent.IncidentId = incident?.Id;
        imapEvent.FailureNumber = incident?.FailedChecks ?? 0;
        imapEvent.StageChangeNumber = incident?.StageChanges ?? 0;
        imapEvent.InMaintenance = inMaintenance;
        fill(imapEvent);
        return imapEvent;
    }

    /// <summary>The message of IMAP Certificate Expiring: when, how soon, and who issued the certificate (whom to ask for a new one).</summary>
    public static string CertificateWarning(ServerCertificate certificate, DateTimeOffset now) =>
        certificate.NotAfter <= now
            ? string.Create(CultureInfo.InvariantCulture,
                $"The server's TLS certificate expired on {certificate.NotAfter:yyyy-MM-dd HH:mm} UTC; it was issued by {certificate.Issuer}.")
            : string.Create(CultureInfo.InvariantCulture,
                $"The server's TLS certificate expires on {certificate.NotAfter:yyyy-MM-dd HH:mm} UTC, in {DurationText.Of(certificate.NotAfter - now)}; it was issued by {certificate.Issuer}.");

    private static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    private sealed class MailboxNow
    {
        public Guid Id { get; set; }

        public bool Enabled { get; set; }

        public int PollIntervalMinutes { get; set; }
    }
}

/// <summary>A check that has run, waiting to be recorded.</summary>
/// <param name="RowWritten">Whether its row was written when it started (Check now) or is written with its outcome (scheduled checks).</param>
/// <param name="Claim">The scheduled claim it ran under, given back with the next due time; null for Check now, which gives its own back.</param>
public sealed record FinishedCheck(Mailbox Mailbox, MailboxCheck Check, CheckResult Result, DateTimeOffset FinishedAt, bool RowWritten, string? Claim = null);
