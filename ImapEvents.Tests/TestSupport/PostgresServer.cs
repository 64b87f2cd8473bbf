using Npgsql;
using Testcontainers.PostgreSql;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// The PostgreSQL server the tests use: the one scripts/test.sh started (IMAPEVENTS_TEST_POSTGRES),
/// or a container when Docker is available. Never a skip: without either the tests fail and say why.
/// </summary>
public sealed class PostgresServer
{
    public const string EnvironmentVariable = "IMAPEVENTS_TEST_POSTGRES";

    private static readonly Lazy<Task<PostgresServer>> Instance = new(StartAsync);

    private PostgresServer(string adminConnectionString) => AdminConnectionString = adminConnectionString;

    /// <summary>A role that may create databases; each test class gets a database of its own.</summary>
    public string AdminConnectionString { get; }

    public static Task<PostgresServer> GetAsync() => Instance.Value;

    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t_{Guid.NewGuid():N}";
        await ExecuteAsync($"CREATE DATABASE \"{name}\"");
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        try
        {
            await ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            // FORCE first checks that we may terminate every other session in the database, and an
            // autovacuum worker (which runs as no role) fails that check for a role without
            // pg_signal_backend, like the CREATEDB-only role the tests use: "42501: must be a member of
            // the role whose process is being terminated". Making the tests' role a superuser or a
            // pg_signal_backend member would only help the cluster scripts/test.sh starts, not a server
            // given through IMAPEVENTS_TEST_POSTGRES, so the tests do what needs no extra right instead.
            await DropWithoutForceAsync(name);
        }
    }

    /// <summary>
    /// Ends the sessions of our own role in the database (any role may end its own), then drops it
    /// without FORCE: PostgreSQL itself stops autovacuum workers for a plain DROP DATABASE and waits up
    /// to 5 seconds for them. A session of another role is a real problem and fails the drop with
    /// PostgreSQL's own message ("is being accessed by other users"), never retried away.
    /// </summary>
    public async Task DropWithoutForceAsync(string name)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using (var terminate = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()",
            connection))
        {
            terminate.Parameters.AddWithValue(name);
            await terminate.ExecuteScalarAsync();
        }

        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\"", connection);
        await drop.ExecuteNonQueryAsync();
    }

    public async Task<bool> DatabaseExistsAsync(string name)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = $1", connection);
        command.Parameters.AddWithValue(name);
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new PostgresServer(configured);
        }

        try
        {
            var container = new PostgreSqlBuilder("postgres:16-alpine").Build();
            await container.StartAsync();
            return new PostgresServer(container.GetConnectionString());
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException(
                $"No PostgreSQL for the tests. Run them with scripts/test.sh (it starts one), set {EnvironmentVariable} " +
                "to the connection string of a role with CREATEDB, or install Docker so Testcontainers can start one.", ex);
        }
    }
}

/// <summary>A fresh database per test class, dropped afterwards.</summary>
public sealed class TestDatabase : IAsyncLifetime
{
    private PostgresServer? server;

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        server = await PostgresServer.GetAsync();
        ConnectionString = await server.CreateDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        if (server is not null && ConnectionString.Length > 0)
        {
            await server.DropDatabaseAsync(ConnectionString);
        }
    }
}
