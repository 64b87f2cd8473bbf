using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Infrastructure.Persistence;

/// <summary>Transaction-scoped PostgreSQL advisory locks that serialise decisions across app instances.</summary>
internal static class AdvisoryLocks
{
    /// <summary>Held while a change could leave the system without an administrator.</summary>
    private const long Users = 0x696D6170_00000001;

    public static Task LockUsersAsync(this AppDbContext db, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({Users})", cancellationToken);
}
