using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ImapEvents.Infrastructure.Persistence;

/// <summary>Transaction-scoped PostgreSQL advisory locks that serialise decisions across app instances.</summary>
internal static class AdvisoryLocks
{
    /// <summary>Held while a change could leave the system without an administrator.</summary>
    private const long Users = 0x696D6170_00000001;

    /// <summary>Held while an import decides which of its rules exist, so two imports of one file cannot both add them.</summary>
    private const long RuleImport = 0x696D6170_00000002;

    /// <summary>With the hash of an account's normalised name: one password check at a time per account.</summary>
    private const int SignIn = 0x696D6170;

    public static Task LockUsersAsync(this AppDbContext db, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({Users})", cancellationToken);

    public static Task LockRuleImportAsync(this AppDbContext db, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({RuleImport})", cancellationToken);

    /// <summary>Waits until no other sign-in to this account, on any instance, is checking its password.</summary>
    public static Task LockSignInAsync(this AppDbContext db, string normalizedUserName, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({SignIn}, hashtext({normalizedUserName}))", cancellationToken);

    /// <summary>
    /// Takes the lock that keeps checks of one mailbox from overlapping anywhere in the cluster, or
    /// returns null when another check holds it. The lock is transaction-scoped on a connection held
    /// for the check: it cannot outlive that transaction, however the check ends (a pooled connection
    /// is rolled back when it returns to the pool, and a dead process's connection is closed by PostgreSQL).
    /// </summary>
    public static async Task<MailboxLock?> TryLockMailboxAsync(string connectionString, Guid mailboxId, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_xact_lock(@key)", connection, transaction);
            command.Parameters.AddWithValue("key", MailboxKey(mailboxId));
            if (await command.ExecuteScalarAsync(cancellationToken) is true)
            {
                return new MailboxLock(connection, transaction);
            }

            await transaction.DisposeAsync();
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    private static long MailboxKey(Guid mailboxId)
    {
        Span<byte> bytes = stackalloc byte[16];
        mailboxId.TryWriteBytes(bytes);
        return BitConverter.ToInt64(bytes) ^ BitConverter.ToInt64(bytes[8..]);
    }
}

/// <summary>Held while a mailbox is checked; ending its transaction releases the lock.</summary>
internal sealed class MailboxLock(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        try
        {
            await transaction.RollbackAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            // A broken connection has ended the transaction, and the lock with it.
        }
        finally
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
