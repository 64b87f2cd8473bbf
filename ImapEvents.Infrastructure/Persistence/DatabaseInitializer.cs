using ImapEvents.Infrastructure.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ImapEvents.Infrastructure.Persistence;

/// <summary>Runs at start-up: applies migrations, then makes sure an administrator exists or can be created.</summary>
public sealed class DatabaseInitializer(AppDbContext db, FirstAdministrator firstAdministrator)
{
    /// <returns>A setup token when the first administrator still has to be created through the setup link.</returns>
    public async Task<string?> InitializeAsync(CancellationToken cancellationToken)
    {
        // Without the history table, EF Core's first look at it fails and logs an alarming error
        // on every fresh install; creating it first (idempotently) keeps the log honest.
        await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);

        // EF Core takes a database lock here, so instances starting together migrate once,
        // and logs each migration it applies.
        await db.Database.MigrateAsync(cancellationToken);
        return await firstAdministrator.EnsureAsync(cancellationToken);
    }
}
