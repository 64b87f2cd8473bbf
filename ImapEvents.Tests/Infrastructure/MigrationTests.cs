using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
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

    [Fact]
    public async Task MailboxRowsWrittenByHandBeforeTheDatabaseRefusedThem_AreRepaired_SoTheConstraintsCanBeAdded()
    {
        await using var db = new AppDbContext(new DbContextOptionsBuilder<AppDbContext>().UseNpgsql(database.ConnectionString).Options);
        await db.Database.GetService<IMigrator>().MigrateAsync("20261202125820_MailboxConstraints");
        var now = DateTimeOffset.UtcNow;
        Mailbox Seeded(string name) => new() { Id = Guid.NewGuid(), DisplayName = name, ServerName = "imap.example.com", LoginUsername = "u", CreatedAt = now, UpdatedAt = now };
        var noPort = Seeded("no port");
        var plainNoPort = Seeded("plain, no port");
        plainNoPort.Security = ConnectionSecurity.StartTls;
        var noSize = Seeded("no size");
        var hugeSize = Seeded("huge size");
        var noFolder = Seeded("no folder");
        var tabFolder = Seeded("tab folder");
        var bellFolder = Seeded("bell in folder");
        var spacedMove = Seeded("moving to a no-break space");
        var nowhereToMove = Seeded("nowhere to move");
        var healthy = Seeded("healthy");
        healthy.AfterImport = AfterImport.MoveToFolder;
        healthy.MoveToFolder = "Archive";
        db.Mailboxes.AddRange(noPort, plainNoPort, noSize, hugeSize, noFolder, tabFolder, bellFolder, spacedMove, nowhereToMove, healthy);
        await db.SaveChangesAsync();
        await db.Database.ExecuteSqlAsync($"""
            UPDATE mailboxes SET "ServerPort" = 0 WHERE "Id" IN ({noPort.Id}, {plainNoPort.Id});
            UPDATE mailboxes SET "MaxMessageSizeKilobytes" = -5 WHERE "Id" = {noSize.Id};
            UPDATE mailboxes SET "MaxMessageSizeKilobytes" = 2147483647 WHERE "Id" = {hugeSize.Id};
            UPDATE mailboxes SET "Folder" = ' ' WHERE "Id" = {noFolder.Id};
            UPDATE mailboxes SET "Folder" = E'\t' WHERE "Id" = {tabFolder.Id};
            UPDATE mailboxes SET "Folder" = E'Arch\x07ive' WHERE "Id" = {bellFolder.Id};
            UPDATE mailboxes SET "AfterImport" = 'MoveToFolder', "MoveToFolder" = E'\u00a0' WHERE "Id" = {spacedMove.Id};
            UPDATE mailboxes SET "AfterImport" = 'MoveToFolder', "MoveToFolder" = NULL WHERE "Id" = {nowhereToMove.Id};
            """);

        await db.Database.MigrateAsync();

        var rows = await db.Mailboxes.AsNoTracking().ToDictionaryAsync(m => m.Id);
        Assert.Equal(993, rows[noPort.Id].ServerPort);
        Assert.Equal(143, rows[plainNoPort.Id].ServerPort);
        Assert.Equal(new Mailbox().MaxMessageSizeKilobytes, rows[noSize.Id].MaxMessageSizeKilobytes);
        Assert.Equal(MailboxRules.MaxMessageSizeLimitKilobytes, rows[hugeSize.Id].MaxMessageSizeKilobytes);
        Assert.Equal("INBOX", rows[noFolder.Id].Folder);
        Assert.Equal("INBOX", rows[tabFolder.Id].Folder);
        Assert.Equal("Archive", rows[bellFolder.Id].Folder);
        Assert.Equal(AfterImport.MarkSeen, rows[spacedMove.Id].AfterImport);
        Assert.Equal(AfterImport.MarkSeen, rows[nowhereToMove.Id].AfterImport);
        Assert.Equal((AfterImport.MoveToFolder, "Archive", 993, "INBOX"), (rows[healthy.Id].AfterImport, rows[healthy.Id].MoveToFolder, rows[healthy.Id].ServerPort, rows[healthy.Id].Folder));
        Assert.All(rows.Values, row => Assert.True(row.Enabled));
    }
}
