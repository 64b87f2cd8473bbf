using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ImapEvents.Tests.Infrastructure;

public sealed class MigrationTests : IAsyncLifetime
{
    private readonly TestDatabase database = new();

    public Task InitializeAsync() => database.InitializeAsync();

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task Migrations_ApplyToAnEmptyDatabase_AndMatchTheModel()
    {
        await using var db = new AppDbContext(new DbContextOptionsBuilder<AppDbContext>().UseNpgsql(database.ConnectionString).Options);

        await db.Database.MigrateAsync();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.False(db.Database.HasPendingModelChanges(), "The model has changes no migration covers: run `dotnet ef migrations add <Name> -p ImapEvents.Infrastructure -o Persistence/Migrations`.");

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var command = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("AspNetUsers", tables);
        Assert.Contains("AspNetRoles", tables);
        Assert.Contains("data_protection_keys", tables);
        Assert.Contains("setup_tokens", tables);
    }
}
