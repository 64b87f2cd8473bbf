using System.Net;
using System.Net.Http.Headers;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Infrastructure.Scheduling;
using ImapEvents.Infrastructure.Telemetry;
using ImapEvents.Tests.TestSupport;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticAssets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ImapEvents.Tests.Web;

/// <summary>The app on a loopback port, reaching PostgreSQL through a relay the tests can cut; no job server (tests run delivery jobs).</summary>
public sealed class OperationsFixture : IAsyncLifetime
{
    public ActionFixture Actions { get; } = new(runJobServer: false, behindProxy: true, onKestrel: true);

    public ImapEventsApp App => Actions.App;

    public Task InitializeAsync() => Actions.InitializeAsync();

    public Task DisposeAsync() => Actions.DisposeAsync();
}

public sealed class OperationsEndpointsTests(OperationsFixture fixture) : IClassFixture<OperationsFixture>
{
    private const string BearerToken = "scrape-token-for-the-tests-0123456789";

    [Fact]
    public async Task Readiness_IsHealthy_WhenPostgresTheJobStorageAndTheMigrationsAnswer()
    {
        var response = await fixture.App.CreateClient().GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readiness_SaysTheDatabaseIsUnreachable_WhileLivenessStaysHealthy()
    {
        var client = fixture.App.CreateClient();
        var proxy = fixture.Actions.DatabaseProxy!;
        proxy.Cut();
        try
        {
            var ready = await client.GetAsync("/readyz");
            var alive = await client.GetAsync("/healthz");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var reason = await ready.Content.ReadAsStringAsync();
            Assert.StartsWith("Unhealthy: ", reason, StringComparison.Ordinal);
            Assert.Contains("database: unreachable", reason, StringComparison.Ordinal);
            Assert.Contains("job storage: unreachable", reason, StringComparison.Ordinal);
            // Short reasons only: no exception text, no address or database name.
            Assert.DoesNotContain("xception", reason, StringComparison.Ordinal);
            Assert.DoesNotContain("127.0.0.1", reason, StringComparison.Ordinal);
            Assert.DoesNotContain(new NpgsqlConnectionStringBuilder(fixture.Actions.ConnectionString).Database!, reason, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
            Assert.Equal("Healthy", await alive.Content.ReadAsStringAsync());
        }
        finally
        {
            proxy.Restore();
        }

        await Eventually.TrueAsync(async () => (await client.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "/readyz did not recover with the database");
    }

    [Fact]
    public async Task Readiness_SaysMigrationsArePending_UntilTheyAreApplied_AndThenNeverAsksAgain()
    {
        // An instance of its own, so that no earlier answer of the fixture's app is remembered.
        await using var app = new ImapEventsApp(fixture.Actions.ConnectionString, fixture.Actions.Settings);
        var client = app.CreateClient();
        var latest = await RemoveLatestMigrationAsync();
        try
        {
            var pending = await client.GetAsync("/readyz");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, pending.StatusCode);
            Assert.Equal("Unhealthy: migrations: pending", await pending.Content.ReadAsStringAsync());
        }
        finally
        {
            await RestoreMigrationAsync(latest);
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        latest = await RemoveLatestMigrationAsync();
        try
        {
            // Applied once, applied for good: not read again on every probe.
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        }
        finally
        {
            await RestoreMigrationAsync(latest);
        }
    }

    [Fact]
    public async Task Metrics_FromThisMachine_ShowTheInstruments_AfterATestEventIsDelivered()
    {
        // The only Log to File action of these tests, so its series count this test's delivery alone.
        var logToFile = RuleAction.Create(ActionKind.LogToFile);
        logToFile.FileName = "metrics-test.log";
        var rule = await fixture.Actions.SaveRuleAsync(ActionFixture.NewUser(), logToFile);
        var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);
        var sent = await fixture.Actions.Service<TestEventSender>().SendAsync(admin.Id, rule.Id, CancellationToken.None);
        var delivery = Assert.Single(await fixture.Actions.DeliveriesAsync(sent.EventId!.Value));
        await fixture.Actions.RunJobAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Delivered, (await fixture.Actions.DeliveryAsync(delivery.Id)).Status);

        // The exporter keeps a scrape's answer for a moment; the new figures come with the next.
        var client = fixture.App.CreateClient();
        string metrics = "";
        await Eventually.TrueAsync(
            async () => (metrics = await client.GetStringAsync("/metrics")).Contains("imapevents_deliveries_total", StringComparison.Ordinal),
            "/metrics never showed the delivery");

        Assert.Equal("1", Value(metrics, "imapevents_events_total", "type=\"login_failed\"", "test=\"true\""));
        Assert.Equal("1", Value(metrics, "imapevents_deliveries_total", "kind=\"log_to_file\"", "outcome=\"sent\""));
        Assert.Equal("1", Value(metrics, "imapevents_delivery_latency_seconds_count", "kind=\"log_to_file\"", "trigger=\"event\""));
        Assert.Contains("# TYPE imapevents_delivery_latency_seconds histogram", metrics, StringComparison.Ordinal);
        Assert.NotNull(Value(metrics, "imapevents_incidents_open"));
        Assert.NotNull(Value(metrics, "imapevents_checks_due_backlog"));
        Assert.NotNull(Value(metrics, "imapevents_checks_due_lag_seconds"));
    }

    [Fact]
    public async Task Logs_CarryTheEventAndTheDeliveryAsScopes()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        await fixture.Actions.SaveRuleAsync(user, ActionFixture.Webhook(receiver.Url("/hook")));
        var imapEvent = await fixture.Actions.RaiseAsync(user);
        var delivery = Assert.Single(await fixture.Actions.DeliveriesAsync(imapEvent.Id));
        await fixture.Actions.RunJobAsync(delivery.Id);

        var entries = fixture.App.Logs.Entries;
        var dispatched = Assert.Single(entries, e => e.Category == typeof(RuleDispatcher).FullName && e.Message.Contains(user, StringComparison.Ordinal));
        Assert.Equal(imapEvent.Id, dispatched.Scopes["EventId"]);
        var delivered = Assert.Single(entries, e => e.Category == typeof(DeliveryJob).FullName && e.Message.Contains(delivery.Id.ToString(), StringComparison.Ordinal));
        Assert.Equal(delivery.Id, delivered.Scopes["DeliveryId"]);
        Assert.Equal(imapEvent.Id, delivered.Scopes["EventId"]);
    }

    [Fact]
    public async Task Metrics_RelayedFromAnotherAddress_AreRefused()
    {
        // A reverse proxy on this machine relaying a scrape from outside: the app trusts its X-Forwarded-For.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");

        var response = await fixture.App.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("imapevents_", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_WithABearerTokenConfigured_AreServedOnlyForTheToken()
    {
        await using var app = new ImapEventsApp(
            fixture.Actions.ConnectionString, new Dictionary<string, string?>(fixture.Actions.Settings) { ["Metrics:BearerToken"] = BearerToken });
        var client = app.CreateClient();

        var without = await client.GetAsync("/metrics");
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token") } };
        var wrongAnswer = await client.SendAsync(wrong);
        using var right = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", BearerToken) } };
        var rightAnswer = await client.SendAsync(right);

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal("Bearer", without.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rightAnswer.StatusCode);
        Assert.Equal("text/plain", rightAnswer.Content.Headers.ContentType?.MediaType);
        Assert.Contains("imapevents_incidents_open", await rightAnswer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Otlp_IsSwitchedOn_ByTheStandardEndpointVariable()
    {
        await using var collector = await HttpReceiver.StartAsync();
        await using var app = new ImapEventsApp(fixture.Actions.ConnectionString, new Dictionary<string, string?>(fixture.Actions.Settings)
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.BaseUrl,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        });
        _ = app.Services;

        await Eventually.TrueAsync(() => collector.Requests.Any(r => r.Method == "POST" && r.Path == "/v1/metrics"), "Nothing was pushed over OTLP");
    }

    [Fact]
    public void OnlyTheOperationsEndpoints_AreOpenBesidesSigningInAndStaticFiles()
    {
        var anonymous = fixture.App.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null
                && e.Metadata.GetMetadata<StaticAssetDescriptor>() is null
                && e.Metadata.GetMetadata<ComponentTypeMetadata>() is null)
            .Select(e => e.RoutePattern.RawText)
            .Order(StringComparer.Ordinal);

        Assert.Equal(["/Account/Logout", "/healthz", "/metrics", "/readyz"], anonymous);
    }

    [Fact]
    public async Task DatabaseGauges_CountOpenIncidents_AndDueChecksNoInstanceHolds()
    {
        var metrics = fixture.Actions.Service<ImapEventsMetrics>();
        var now = DateTimeOffset.UtcNow;
        var before = await metrics.ReadDatabaseGaugesAsync(now, CancellationToken.None);

        await using (var db = await fixture.Actions.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            var mailboxes = Enumerable.Range(0, 5).Select(i => new Mailbox
            {
                Id = Guid.NewGuid(), DisplayName = $"Gauge {i} {Guid.NewGuid():N}", ServerName = "imap.example.com", Enabled = false, CreatedAt = now, UpdatedAt = now,
            }).ToList();
            db.Mailboxes.AddRange(mailboxes);
            db.CheckSchedules.AddRange(
                new CheckSchedule { MailboxId = mailboxes[0].Id, DueAt = now.AddSeconds(-30) },
                new CheckSchedule { MailboxId = mailboxes[1].Id, DueAt = now.AddSeconds(-10), LeasedBy = "gone:1", LeasedUntil = now.AddSeconds(-1) },
                new CheckSchedule { MailboxId = mailboxes[2].Id, DueAt = now.AddSeconds(-20), LeasedBy = "busy:2", LeasedUntil = now.AddSeconds(30) },
                new CheckSchedule { MailboxId = mailboxes[3].Id, DueAt = now.AddSeconds(60) },
                new CheckSchedule { MailboxId = mailboxes[4].Id, DueAt = null });
            db.Incidents.AddRange(
                new Incident { Id = Guid.NewGuid(), MailboxName = "Open", Stage = CheckStage.Authenticate, OpenedAt = now, LastFailureAt = now, FailedChecks = 1 },
                new Incident { Id = Guid.NewGuid(), MailboxName = "Closed", Stage = CheckStage.Authenticate, OpenedAt = now.AddHours(-1), LastFailureAt = now.AddHours(-1), FailedChecks = 1, ClosedAt = now });
            await db.SaveChangesAsync();
        }

        var after = await metrics.ReadDatabaseGaugesAsync(now, CancellationToken.None);

        Assert.Equal(before.OpenIncidents + 1, after.OpenIncidents);
        Assert.Equal(before.DueChecks + 2, after.DueChecks);
        Assert.True(after.DueLag(now) >= TimeSpan.FromSeconds(30), $"due lag {after.DueLag(now)}");
        Assert.Equal(TimeSpan.Zero, new DatabaseGauges().DueLag(now));
    }

    /// <summary>The value of the series of this metric whose labels include all these, or null when there is none.</summary>
    private static string? Value(string metrics, string name, params string[] labels) =>
        metrics.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => labels.All(label => line.Contains(label, StringComparison.Ordinal)))
            .Select(line => line[(line.LastIndexOf(' ') + 1)..])
            .SingleOrDefault();

    private async Task<(string Id, string ProductVersion)> RemoveLatestMigrationAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.Actions.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            DELETE FROM "__EFMigrationsHistory" WHERE "MigrationId" = (SELECT max("MigrationId") FROM "__EFMigrationsHistory")
            RETURNING "MigrationId", "ProductVersion"
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.GetString(1));
    }

    private async Task RestoreMigrationAsync((string Id, string ProductVersion) migration)
    {
        await using var connection = new NpgsqlConnection(fixture.Actions.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion") VALUES ($1, $2)""", connection);
        command.Parameters.AddWithValue(migration.Id);
        command.Parameters.AddWithValue(migration.ProductVersion);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>The app in Production, as users run it (its error page on), reaching PostgreSQL through a relay the test cuts.</summary>
public sealed class DatabaseAwayTests : IAsyncLifetime
{
    private readonly ActionFixture fixture = new(runJobServer: false, behindProxy: true, onKestrel: true, production: true);

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    [Fact]
    public async Task ASignInWhileTheDatabaseIsAway_SaysSoAndWhatToDo_NotAnEmpty500()
    {
        // A browser's way over the app's real port: cookies kept, redirects seen.
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() };
        using var client = new HttpClient(handler) { BaseAddress = fixture.App.CreateClient().BaseAddress };
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        var proxy = fixture.DatabaseProxy!;
        proxy.Cut();
        try
        {
            var page = await client.SignInAsync(ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
            Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType?.ToString());
            Assert.Equal(TimeSpan.FromSeconds(10), page.Headers.RetryAfter?.Delta);
            var text = await page.Content.ReadAsStringAsync();
            Assert.Contains("<h1>ImapEvents cannot reach its database</h1>", text, StringComparison.Ordinal);
            Assert.Contains("Try again in a moment.", text, StringComparison.Ordinal);
            // Nothing about where the database is.
            Assert.DoesNotContain(proxy.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), text, StringComparison.Ordinal);
            Assert.DoesNotContain("xception", text, StringComparison.Ordinal);
        }
        finally
        {
            proxy.Restore();
        }

        await Eventually.TrueAsync(
            async () => (await client.SignInAsync(ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword)).StatusCode == HttpStatusCode.Redirect,
            "Signing in did not work again with the database back");
    }
}
