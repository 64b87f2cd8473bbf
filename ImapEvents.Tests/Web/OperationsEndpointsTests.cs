using System.Net;
using ImapEvents.Tests.TestSupport;
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
