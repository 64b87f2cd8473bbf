using Hangfire;
using Hangfire.Server;
using ImapEvents.Core.Actions;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Notifications;
using ImapEvents.Infrastructure.Providers;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>The exception that hands a failed attempt back to Hangfire, which runs the job again after a back-off.</summary>
public sealed class DeliveryFailedException(string message) : Exception(message);

/// <summary>
/// Delivers one action for one event. Each run claims the delivery, records its attempt, and throws when
/// it failed so Hangfire retries it with back-off; after the last attempt the delivery is Failed (a retry by
/// hand from the job dashboard tries once more). Running it twice is safe: a delivered or currently
/// sending delivery is left alone.
/// </summary>
public sealed class DeliveryJob(
    IDbContextFactory<AppDbContext> dbFactory,
    HttpActionSender http,
    LogFileWriter logFiles,
    EmailActionSender email,
    NotificationProfiles profiles,
    ProviderAdministration providers,
    TimeProvider time,
    ILogger<DeliveryJob> logger)
{
    /// <summary>Hangfire's retries after the first attempt; with the delays below they span about seven hours.</summary>
    public const int Retries = 8;

    public const int MaxAttempts = Retries + 1;

    /// <summary>A Sending claim older than this belongs to a worker that died; its job may take over.</summary>
    public static readonly TimeSpan StaleClaim = TimeSpan.FromMinutes(2);

    /// <summary>Longest error text kept per attempt and delivery (the column's size).</summary>
    public const int MaxErrorLength = 2000;

    /// <param name="context">Supplied by Hangfire (null when enqueued); tells the last automatic attempt apart.</param>
    [Queue(JobQueues.Actions)]
    [AutomaticRetry(Attempts = Retries, DelaysInSeconds = [15, 60, 300, 900, 1800, 3600, 7200, 14400], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    public async Task RunAsync(Guid deliveryId, PerformContext? context, CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
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
        if (claimed == 0)
        {
            var status = await db.Deliveries.AsNoTracking().Where(d => d.Id == deliveryId).Select(d => (DeliveryStatus?)d.Status).SingleOrDefaultAsync(cancellationToken);
            if (status == DeliveryStatus.Sending)
            {
                // Another worker is sending it (a duplicate job): try again later rather than report success now.
                throw new DeliveryFailedException($"Delivery {deliveryId} is being sent by another worker; this job checks again later.");
            }

            logger.LogInformation("Delivery {DeliveryId} is {Status}; nothing to do", deliveryId, status?.ToString() ?? "gone");
            return;
        }

        // From here on the row says Sending: whatever happens, it must not stay so.
        Delivery? delivery = null;
        SendResult result;
        try
        {
            delivery = await db.Deliveries.SingleAsync(d => d.Id == deliveryId, cancellationToken);
            var imapEvent = await db.Events.AsNoTracking().SingleAsync(e => e.Id == delivery.EventId, cancellationToken);
            var values = new TemplateValues(imapEvent, delivery.RuleName, delivery.SuppressedCount);
            result = delivery.Kind switch
            {
                ActionKind.CallWebPage => await http.CallWebPageAsync(delivery.Action, values, cancellationToken),
                ActionKind.CallWebhook => await http.CallWebhookAsync(delivery.Action, delivery.Id, imapEvent, values, cancellationToken),
                ActionKind.LogToFile => await logFiles.AppendAsync(delivery.Action, values, cancellationToken),
                ActionKind.SendEmail => await email.SendAsync(delivery.Action, delivery.Id, values, cancellationToken),
                ActionKind.UseMyNotificationProfile => await profiles.NotifyAsync(delivery.OwnerId, delivery.Id, values, delivery.CompletedParts, cancellationToken),
                ActionKind.NotifyExternalProvider => await providers.NotifyAsync(delivery.Action, delivery.Id, imapEvent, values, cancellationToken),
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: this attempt does not count, and Hangfire runs the job again on a live server.
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
            if (delivery is null)
            {
                await db.Deliveries.Where(d => d.Id == deliveryId).ExecuteUpdateAsync(
                    update => update.SetProperty(d => d.Status, DeliveryStatus.Retrying).SetProperty(d => d.LastError, Cut(result.Error)),
                    CancellationToken.None);
                throw;
            }
        }

        var finished = time.GetUtcNow();
        // The last automatic attempt as Hangfire counts it; without Hangfire (tests, a direct call), by our own count.
        var lastAttempt = context is null
            ? delivery.Attempts >= MaxAttempts
            : context.GetJobParameter<int>("RetryCount") >= Retries;
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
        delivery.Status = result.Succeeded ? DeliveryStatus.Delivered
            : result.Permanent || lastAttempt ? DeliveryStatus.Failed
            : DeliveryStatus.Retrying;
        delivery.CompletedAt = delivery.Status is DeliveryStatus.Delivered or DeliveryStatus.Failed ? finished : null;
        // Recorded even when the job is being stopped: the attempt happened.
        await db.SaveChangesAsync(CancellationToken.None);

        if (result.Succeeded)
        {
            logger.LogInformation("{Kind} for rule {RuleName} delivered (delivery {DeliveryId}, attempt {Attempt})",
                delivery.Kind.DisplayName(), delivery.RuleName, delivery.Id, delivery.Attempts);
            return;
        }

        logger.LogWarning("{Kind} for rule {RuleName} failed (delivery {DeliveryId}, attempt {Attempt} of {MaxAttempts}): {Error}",
            delivery.Kind.DisplayName(), delivery.RuleName, delivery.Id, delivery.Attempts, MaxAttempts, result.Error);
        if (!result.Permanent)
        {
            // Hangfire's retry (and, after the last, its Failed list) is the back-off; the row already says why.
            throw new DeliveryFailedException($"Attempt {delivery.Attempts} of {MaxAttempts} failed: {result.Error}");
        }
    }

    private static string? Cut(string? error) => error is { Length: > MaxErrorLength } ? error[..(MaxErrorLength - 1)] + "…" : error;
}
