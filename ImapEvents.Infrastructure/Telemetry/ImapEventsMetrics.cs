using System.Data.Common;
using System.Diagnostics.Metrics;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Telemetry;

/// <summary>How one delivery attempt ended, as the deliveries counter tags it.</summary>
public enum DeliveryOutcome
{
    /// <summary>The receiver took it.</summary>
    Sent,

    /// <summary>It failed, and Hangfire tries again later.</summary>
    Retrying,

    /// <summary>It failed for good (or the delivery was given up: its job deleted or expired).</summary>
    Failed,

    /// <summary>The process sending it ended during the attempt; it is tried again.</summary>
    Interrupted,
}

/// <summary>
/// ImapEvents' own instruments, on the meter "ImapEvents": exported on /metrics and over OTLP. Tags take a handful of
/// values each (outcome, stage, event type, action kind), never a mailbox, rule or address, so the number of series
/// stays the same however many mailboxes there are.
/// </summary>
public sealed class ImapEventsMetrics
{
    public const string MeterName = "ImapEvents";

    /// <summary>The gauges read from PostgreSQL are read at most this often, however often they are scraped.</summary>
    public static readonly TimeSpan DatabaseReadInterval = TimeSpan.FromSeconds(10);

    /// <summary>The longest a scrape waits for those reads; past it the gauges are left out of that scrape.</summary>
    private static readonly TimeSpan DatabaseReadTimeout = TimeSpan.FromSeconds(5);

    // Seconds. The SDK's default buckets (0 to 10,000) are made for milliseconds.
    private static readonly double[] CheckDurationBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
    private static readonly double[] StartLagBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];
    private static readonly double[] DeliveryLatencyBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400];

    private readonly IDbContextFactory<AppDbContext> dbFactory;
    private readonly TimeProvider time;
    private readonly ILogger<ImapEventsMetrics> logger;

    private readonly Histogram<double> checkStartLag;
    private readonly Counter<long> checks;
    private readonly Histogram<double> checkDuration;
    private readonly Counter<long> events;
    private readonly Counter<long> deliveries;
    private readonly Histogram<double> deliveryLatency;

    private readonly Lock databaseGaugesLock = new();
    private DateTimeOffset databaseGaugesReadAt = DateTimeOffset.MinValue;
    private DatabaseGauges? databaseGauges;

    public ImapEventsMetrics(IMeterFactory meterFactory, IDbContextFactory<AppDbContext> dbFactory, TimeProvider time, ILogger<ImapEventsMetrics> logger)
    {
        this.dbFactory = dbFactory;
        this.time = time;
        this.logger = logger;
        var meter = meterFactory.Create(MeterName);

        checkStartLag = meter.CreateHistogram(
            "imapevents.check.start_lag", "s", "How late scheduled checks started after they were due.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StartLagBuckets });
        checks = meter.CreateCounter<long>("imapevents.checks", "{check}", "Mailbox checks finished, by outcome and the stage they ended in.");
        checkDuration = meter.CreateHistogram(
            "imapevents.check.duration", "s", "How long mailbox checks took, by outcome and the stage they ended in.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = CheckDurationBuckets });
        events = meter.CreateCounter<long>("imapevents.events", "{event}", "Events stored, by type; test=true for Send test event.");
        deliveries = meter.CreateCounter<long>(
            "imapevents.deliveries", "{delivery}", "Delivery attempts by action kind and outcome (sent, retrying, failed, interrupted).");
        deliveryLatency = meter.CreateHistogram(
            "imapevents.delivery.latency", "s", "From an event's occurrence to its successful delivery, by action kind and trigger.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DeliveryLatencyBuckets });

        meter.CreateObservableGauge(
            "imapevents.incidents.open", () => Observe(gauges => gauges.OpenIncidents), "{incident}", "Incidents not closed yet.");
        meter.CreateObservableGauge(
            "imapevents.checks.due_backlog", () => Observe(gauges => gauges.DueChecks), "{check}",
            "Scheduled checks that are due and claimed by no instance.");
        meter.CreateObservableGauge(
            "imapevents.checks.due_lag", () => Observe(gauges => gauges.DueLag(time.GetUtcNow()).TotalSeconds), "s",
            "How long the longest-waiting due check has been due; 0 when none is.");
    }

    /// <param name="lag">How late a scheduled check started after it was due.</param>
    public void CheckStarted(TimeSpan lag) => checkStartLag.Record(Math.Max(0, lag.TotalSeconds));

    public void CheckFinished(CheckOutcome outcome, CheckStage stage, TimeSpan duration)
    {
        var outcomeTag = new KeyValuePair<string, object?>("outcome", TagValue(outcome));
        var stageTag = new KeyValuePair<string, object?>("stage", TagValue(stage));
        checks.Add(1, outcomeTag, stageTag);
        checkDuration.Record(duration.TotalSeconds, outcomeTag, stageTag);
    }

    /// <summary>An event was stored (by a check or a sweep).</summary>
    public void EventRaised(ImapEventType type) => CountEvent(type, test: false);

    /// <summary>Send test event stored an event: counted apart, so alerts on real failures can leave it out.</summary>
    public void TestEventRaised(ImapEventType type) => CountEvent(type, test: true);

    /// <summary>A delivery attempt ended, or a delivery was given up without one (<see cref="DeliveryOutcome.Failed"/>).</summary>
    public void DeliveryEnded(ActionKind kind, DeliveryOutcome outcome) =>
        deliveries.Add(1, new KeyValuePair<string, object?>("kind", TagValue(kind)), new KeyValuePair<string, object?>("outcome", TagValue(outcome)));

    /// <param name="sinceEvent">From the event's occurrence to the delivery's success.</param>
    public void DeliveryLatency(ActionKind kind, DeliveryTrigger trigger, TimeSpan sinceEvent) =>
        deliveryLatency.Record(
            Math.Max(0, sinceEvent.TotalSeconds),
            new KeyValuePair<string, object?>("kind", TagValue(kind)),
            new KeyValuePair<string, object?>("trigger", trigger.WireName()));

    /// <summary>The gauges' figures as PostgreSQL has them now, uncached.</summary>
    internal async Task<DatabaseGauges> ReadDatabaseGaugesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Both by index: the open incidents by the one unique per open incident, the due checks by IX_check_schedule_due.
        var rows = await db.Database.SqlQuery<DatabaseGauges>(
            $"""
            SELECT (SELECT count(*) FROM incidents WHERE "ClosedAt" IS NULL) AS "OpenIncidents",
                   count(*) AS "DueChecks",
                   min(s."DueAt") AS "OldestDueAt"
            FROM check_schedule AS s
            WHERE s."DueAt" <= {now} AND (s."LeasedUntil" IS NULL OR s."LeasedUntil" < {now})
            """).ToListAsync(cancellationToken);
        return rows[0];
    }

    private void CountEvent(ImapEventType type, bool test) =>
        events.Add(1, new KeyValuePair<string, object?>("type", TagValue(type)), new KeyValuePair<string, object?>("test", test ? "true" : "false"));

    private IEnumerable<Measurement<T>> Observe<T>(Func<DatabaseGauges, T> value)
        where T : struct =>
        CurrentDatabaseGauges() is { } gauges ? [new Measurement<T>(value(gauges))] : [];

    /// <summary>
    /// The last figures read, read again once they are older than <see cref="DatabaseReadInterval"/>; null when PostgreSQL
    /// did not answer, so the gauges are missing from the scrape rather than showing old figures as current.
    /// </summary>
    private DatabaseGauges? CurrentDatabaseGauges()
    {
        lock (databaseGaugesLock)
        {
            var now = time.GetUtcNow();
            if (now - databaseGaugesReadAt < DatabaseReadInterval)
            {
                return databaseGauges;
            }

            databaseGaugesReadAt = now;
            try
            {
                // Observable instruments are read synchronously by the exporter. Blocking here happens once per interval,
                // for at most the timeout: cheaper than a timer that reads the database when nobody is scraping.
                using var timeout = new CancellationTokenSource(DatabaseReadTimeout);
                databaseGauges = Task.Run(() => ReadDatabaseGaugesAsync(now, timeout.Token), timeout.Token).GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException or OperationCanceledException)
            {
                databaseGauges = null;
                logger.LogWarning("The open incidents and due checks could not be read for the metrics: {Error}", ex.GetBaseException().Message);
            }

            return databaseGauges;
        }
    }

    private static string TagValue(CheckOutcome outcome) => outcome switch
    {
        CheckOutcome.Succeeded => "succeeded",
        CheckOutcome.Failed => "failed",
        CheckOutcome.Interrupted => "interrupted",
    };

    private static string TagValue(CheckStage stage) => stage switch
    {
        CheckStage.Connect => "connect",
        CheckStage.Authenticate => "authenticate",
        CheckStage.Download => "download",
        CheckStage.Import => "import",
    };

    private static string TagValue(ImapEventType type) => type switch
    {
        ImapEventType.ConnectionFailed => "connection_failed",
        ImapEventType.LoginFailed => "login_failed",
        ImapEventType.DownloadFailed => "download_failed",
        ImapEventType.ImportFailed => "import_failed",
        ImapEventType.Recovered => "recovered",
        ImapEventType.CertificateExpiring => "certificate_expiring",
        ImapEventType.MailboxStale => "mailbox_stale",
    };

    private static string TagValue(ActionKind kind) => kind switch
    {
        ActionKind.CallWebPage => "call_web_page",
        ActionKind.CallWebhook => "call_webhook",
        ActionKind.LogToFile => "log_to_file",
        ActionKind.SendEmail => "send_email",
        ActionKind.UseMyNotificationProfile => "use_my_notification_profile",
        ActionKind.NotifyExternalProvider => "notify_external_provider",
    };

    private static string TagValue(DeliveryOutcome outcome) => outcome switch
    {
        DeliveryOutcome.Sent => "sent",
        DeliveryOutcome.Retrying => "retrying",
        DeliveryOutcome.Failed => "failed",
        DeliveryOutcome.Interrupted => "interrupted",
    };
}

/// <summary>What the gauges read from PostgreSQL, in one query.</summary>
internal sealed class DatabaseGauges
{
    public long OpenIncidents { get; set; }

    /// <summary>Scheduled checks due and not leased by any instance.</summary>
    public long DueChecks { get; set; }

    public DateTimeOffset? OldestDueAt { get; set; }

    public TimeSpan DueLag(DateTimeOffset now) =>
        OldestDueAt is { } oldest && oldest < now ? now - oldest : TimeSpan.Zero;
}
