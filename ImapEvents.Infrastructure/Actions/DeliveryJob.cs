using ImapEvents.Core.Text;
using Hangfire;
using Hangfire.Server;
using ImapEvents.Core.Actions;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Notifications;
using ImapEvents.Infrastructure.Providers;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Infrastructure.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql.EntityFrameworkCore.PostgreSQL;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>The exception that hands a failed attempt back to Hangfire, saying when to run the job again.</summary>
/// <param name="retryIn">When the job runs again (see <see cref="DeliveryRetryAttribute"/>); null when the delivery had its last attempt, so the job stays in Hangfire's failed list.</param>
/// <param name="attempt">The attempt that failed; null when none was made (another worker is sending the delivery).</param>
public sealed class DeliveryFailedException(string message, TimeSpan? retryIn, int? attempt = null) : Exception(message)
{
    public TimeSpan? RetryIn { get; } = retryIn;

    public int? Attempt { get; } = attempt;
}

/// <summary>
/// Delivers one action for one event. Each run claims the delivery, records its attempt, and throws when
/// it failed so Hangfire runs it again when <see cref="DeliveryRetryPolicy"/> says; after the last attempt the
/// delivery is Failed (a retry by hand from the job dashboard tries once more). Running it twice is safe: a
/// delivered or currently sending delivery is left alone.
/// </summary>
public sealed class DeliveryJob(
    IDbContextFactory<AppDbContext> dbFactory,
    HttpActionSender http,
    LogFileWriter logFiles,
    EmailActionSender email,
    NotificationProfiles profiles,
    ProviderAdministration providers,
    RuleAdministration rules,
    Incidents.IncidentLinks incidentLinks,
    ImapEventsMetrics metrics,
    TimeProvider time,
    ILogger<DeliveryJob> logger)
{
    public const int MaxAttempts = DeliveryRetryPolicy.MaxAttempts;

    /// <summary>A Sending claim older than this belongs to a worker that died; its job may take over.</summary>
    public static readonly TimeSpan StaleClaim = TimeSpan.FromMinutes(2);

    /// <summary>Longest error text kept per attempt and delivery (the column's size).</summary>
    public const int MaxErrorLength = 2000;

    /// <summary>What a 410 Gone disables an action with, as the rule shows it.</summary>
    public const string GoneReason = "the receiver answered 410 Gone";

    // Recording an attempt waits this long in all for PostgreSQL to come back (≈ 1 min with the growing
    // delays between tries): well inside StaleClaim, so no other job takes the delivery over meanwhile.
    private const int RecordingRetries = 6;
    private static readonly TimeSpan LongestRecordingDelay = TimeSpan.FromSeconds(30);

    /// <param name="context">
    /// Supplied by Hangfire (null when enqueued). No longer read: reading Hangfire's retry count needs
    /// PostgreSQL, and the delivery's own attempt count says the same. The parameter stays so jobs queued
    /// before keep their signature.
    /// </param>
    [Queue(JobQueues.Actions)]
    [DeliveryRetry]
    // Only for what is not a delivery's own failure (PostgreSQL gone before the claim, a bug): the same
    // waits as DeliveryRetryPolicy.Backoff. A DeliveryFailedException says itself when to run again.
    [AutomaticRetry(
        Attempts = DeliveryRetryPolicy.MaxAttempts - 1,
        DelaysInSeconds = [15, 60, 300, 900, 1800, 3600, 7200, 14400],
        ExceptOn = [typeof(DeliveryFailedException)],
        OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    public async Task RunAsync(Guid deliveryId, PerformContext? context, CancellationToken cancellationToken)
    {
        // On every line this job logs, the senders' included (JSON logs show scopes as properties).
        using var deliveryScope = logger.BeginScope("Delivery {DeliveryId}", deliveryId);
        // PostgreSQL keeps microseconds: cut to them, so the claim's time reads back equal.
        var now = time.GetUtcNow();
        var startedAt = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
        if (!await ClaimAsync(deliveryId, startedAt, cancellationToken))
        {
            return;
        }

        // From here on the row says Sending: whatever happens, it must not stay so. Everything that can
        // touch PostgreSQL is inside the try or in RecordAsync, which waits for it to come back.
        SendResult result;
        DateTimeOffset? eventOccurredAt = null;
        // Parts of the action sent so far (Use My Notification Profile: email, SMS), kept even when the attempt fails.
        var completedParts = new List<string>();
        try
        {
            var sent = await SendAsync(deliveryId, completedParts, cancellationToken);
            result = sent.Result;
            eventOccurredAt = sent.EventOccurredAt;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: this attempt does not count, and Hangfire runs the job again on a live server.
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            await db.Deliveries.Where(d => d.Id == deliveryId).ExecuteUpdateAsync(
                update => update.SetProperty(d => d.Status, DeliveryStatus.Retrying).SetProperty(d => d.Attempts, d => d.Attempts - 1),
                CancellationToken.None);
            throw;
        }
        catch (Exception ex)
        {
            // Unexpected (the database went away, a bug): an attempt that failed and is retried like any other.
            logger.LogError(ex, "Delivery {DeliveryId} failed unexpectedly", deliveryId);
            result = SendResult.Failed($"Unexpected error: {ex.Message}");
        }

        var delivery = await RecordAsync(deliveryId, startedAt, result, completedParts, cancellationToken);
        if (delivery is null)
        {
            logger.LogWarning("Delivery {DeliveryId} was taken over by another job while this attempt ran; its outcome ({Error}) is not recorded",
                deliveryId, result.Error ?? "delivered");
            return;
        }

        using var eventScope = logger.BeginScope("Event {EventId}", delivery.EventId);
        metrics.DeliveryEnded(
            delivery.Kind,
            result.Succeeded ? DeliveryOutcome.Sent : delivery.Status == DeliveryStatus.Failed ? DeliveryOutcome.Failed : DeliveryOutcome.Retrying);
        if (result.Succeeded)
        {
            if (eventOccurredAt is { } occurredAt && delivery.CompletedAt is { } completedAt)
            {
                metrics.DeliveryLatency(delivery.Kind, delivery.Trigger, completedAt - occurredAt);
            }

            logger.LogInformation("{Kind} for rule {RuleName} delivered (delivery {DeliveryId}, attempt {Attempt})",
                delivery.Kind.DisplayName(), delivery.RuleName, delivery.Id, delivery.Attempts);
            return;
        }

        var allowed = result.Rejected ? DeliveryRetryPolicy.RejectedMaxAttempts : MaxAttempts;
        logger.LogWarning("{Kind} for rule {RuleName} failed (delivery {DeliveryId}, attempt {Attempt} of {MaxAttempts}): {Error}",
            delivery.Kind.DisplayName(), delivery.RuleName, delivery.Id, delivery.Attempts, allowed, result.Error);
        if (result.Gone)
        {
            await DisableGoneActionAsync(delivery, cancellationToken);
        }

        if (!result.Permanent)
        {
            // Hangfire runs the job again when the policy says (and after the last attempt keeps it in its
            // Failed list); the row already says why.
            throw new DeliveryFailedException(
                $"Attempt {delivery.Attempts} of {allowed} failed: {result.Error}", DeliveryRetryPolicy.NextAttemptIn(delivery.Attempts, result), delivery.Attempts);
        }
    }

    /// <summary>Marks the delivery Sending for this run; false when there is nothing to do.</summary>
    private async Task<bool> ClaimAsync(Guid deliveryId, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var staleBefore = startedAt - StaleClaim;
        var claimed = await db.Deliveries
            .Where(d => d.Id == deliveryId
                // Failed: someone retried the job by hand in the job dashboard.
                && (d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Retrying || d.Status == DeliveryStatus.Failed
                    || (d.Status == DeliveryStatus.Sending && d.AttemptStartedAt < staleBefore)))
            .ExecuteUpdateAsync(
                update => update
                    .SetProperty(d => d.Status, DeliveryStatus.Sending)
                    .SetProperty(d => d.AttemptStartedAt, startedAt)
                    .SetProperty(d => d.ClaimedBy, WorkerProcess.Current)
                    .SetProperty(d => d.Attempts, d => d.Attempts + 1),
                cancellationToken);
        if (claimed > 0)
        {
            return true;
        }

        var status = await db.Deliveries.AsNoTracking().Where(d => d.Id == deliveryId).Select(d => (DeliveryStatus?)d.Status).SingleOrDefaultAsync(cancellationToken);
        if (status == DeliveryStatus.Sending)
        {
            // Another worker is sending it (a duplicate job): look again once its claim could have gone
            // stale, rather than report success now. No attempt is made, so none is counted.
            throw new DeliveryFailedException($"Delivery {deliveryId} is being sent by another worker; this job checks again later.", StaleClaim);
        }

        logger.LogInformation("Delivery {DeliveryId} is {Status}; nothing to do", deliveryId, status?.ToString() ?? "gone");
        return false;
    }

    private async Task<(SendResult Result, DateTimeOffset EventOccurredAt)> SendAsync(
        Guid deliveryId, List<string> completedParts, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var delivery = await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId, cancellationToken);
        using var eventScope = logger.BeginScope("Event {EventId}", delivery.EventId);
        completedParts.AddRange(delivery.CompletedParts);
        var imapEvent = await db.Events.AsNoTracking().SingleAsync(e => e.Id == delivery.EventId, cancellationToken);
        var group = delivery.GroupId is { } groupId
            ? await db.NotificationGroupMembers.AsNoTracking()
                .Where(m => m.GroupId == groupId)
                .OrderBy(m => m.OccurredAt)
                .Select(m => new GroupedMailbox(m.MailboxName, m.LoginUsername, m.ErrorMessage, m.OccurredAt))
                .ToListAsync(cancellationToken)
            : null;
        var values = new TemplateValues(
            imapEvent, delivery.RuleName, delivery.SuppressedCount, imapEvent.IncidentId is { } incidentId ? incidentLinks.For(incidentId) : null, group,
            delivery.Trigger.WireName());
        var result = delivery.Kind switch
        {
            ActionKind.CallWebPage => await http.CallWebPageAsync(delivery.Action, values, cancellationToken),
            ActionKind.CallWebhook => await http.CallWebhookAsync(delivery.Action, delivery.Id, imapEvent, values, cancellationToken),
            ActionKind.LogToFile => await logFiles.AppendAsync(delivery.Action, values, cancellationToken),
            ActionKind.SendEmail => await email.SendAsync(delivery.Action, delivery.Id, values, cancellationToken),
            ActionKind.UseMyNotificationProfile => await profiles.NotifyAsync(delivery.OwnerId, delivery.Id, values, completedParts, cancellationToken),
            ActionKind.NotifyExternalProvider => await providers.NotifyAsync(delivery.Action, delivery.Id, imapEvent, values, cancellationToken),
        };
        return (result, imapEvent.OccurredAt);
    }

    /// <summary>
    /// Records the attempt and the delivery's new status. When PostgreSQL is unreachable it tries again with
    /// growing waits (Npgsql's retrying strategy), so an outage during the attempt is recorded once the
    /// database is back instead of leaving the row Sending.
    /// </summary>
    /// <returns>The delivery as recorded; null when another job took it over meanwhile.</returns>
    private async Task<Delivery?> RecordAsync(
        Guid deliveryId, DateTimeOffset startedAt, SendResult result, IReadOnlyList<string> completedParts, CancellationToken cancellationToken)
    {
        await using var strategyContext = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        var strategy = new RecordingStrategy(strategyContext);
        // The job's token only cuts the waits short (shutting down); each try itself runs to its end.
        return await strategy.ExecuteAsync(async _ =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            var delivery = await db.Deliveries.SingleAsync(d => d.Id == deliveryId, CancellationToken.None);
            if (await db.DeliveryAttempts.AnyAsync(a => a.DeliveryId == deliveryId && a.StartedAt == startedAt, CancellationToken.None))
            {
                // An earlier try committed, and only its answer was lost with the connection.
                return delivery;
            }

            if (delivery.Status != DeliveryStatus.Sending || delivery.AttemptStartedAt != startedAt)
            {
                return null;
            }

            var finished = time.GetUtcNow();
            db.DeliveryAttempts.Add(new DeliveryAttempt
            {
                Id = Guid.NewGuid(),
                DeliveryId = delivery.Id,
                Number = delivery.Attempts,
                StartedAt = startedAt,
                FinishedAt = finished,
                Succeeded = result.Succeeded,
                ResponseCode = result.ResponseCode,
                Error = Cut(result.Error),
            });
            delivery.LastResponseCode = result.ResponseCode;
            delivery.LastError = Cut(result.Error);
            delivery.CompletedParts = [.. delivery.CompletedParts.Union(completedParts)];
            delivery.Status = result.Succeeded ? DeliveryStatus.Delivered
                : DeliveryRetryPolicy.NextAttemptIn(delivery.Attempts, result) is null ? DeliveryStatus.Failed
                : DeliveryStatus.Retrying;
            delivery.CompletedAt = delivery.Status is DeliveryStatus.Delivered or DeliveryStatus.Failed ? finished : null;
            // Recorded even when the job is being stopped: the attempt happened.
            await db.SaveChangesAsync(CancellationToken.None);
            return delivery;
        }, cancellationToken);
    }

    /// <summary>410 Gone: the rule's action stops firing until an administrator enables it again.</summary>
    private async Task DisableGoneActionAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        try
        {
            if (await rules.DisableActionAsync(delivery.RuleId, delivery.Action, GoneReason, cancellationToken))
            {
                logger.LogWarning("{Kind} {ActionPosition} of rule {RuleName} is disabled: {Reason} (delivery {DeliveryId})",
                    delivery.Kind.DisplayName(), delivery.ActionPosition + 1, delivery.RuleName, GoneReason, delivery.Id);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The delivery is recorded as failed for good; the action's next 410 disables it instead.
            logger.LogError(ex, "Could not disable the action of delivery {DeliveryId} after a 410 Gone", delivery.Id);
        }
    }

    /// <summary>Npgsql's retrying strategy, for tries that each run in a context of their own.</summary>
    private sealed class RecordingStrategy(DbContext context)
        : NpgsqlRetryingExecutionStrategy(context, RecordingRetries, LongestRecordingDelay, errorCodesToAdd: null)
    {
        // Such a context's own (non-retrying) strategy hands a transient failure on wrapped in an
        // InvalidOperationException ("likely due to a transient failure"): judged by what it wraps.
        protected override bool ShouldRetryOn(Exception? exception) =>
            base.ShouldRetryOn(exception) || (exception is InvalidOperationException { InnerException: { } inner } && base.ShouldRetryOn(inner));
    }

    // A receiver's answer is its own words (a NUL, half a UTF-16 pair): made storable as a server's error is.
    private static string? Cut(string? error) => StoredText.ClipOrNull(error, MaxErrorLength);
}
