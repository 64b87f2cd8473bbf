using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ImapEvents.Infrastructure.Persistence;

/// <summary>Transaction-scoped PostgreSQL advisory locks that serialise decisions across app instances.</summary>
internal static class AdvisoryLocks
{
    /// <summary>Held while a change could leave the system without an administrator.</summary>
    private const long Users = 0x696D6170_00000001;

    public static Task LockUsersAsync(this AppDbContext db, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({Users})", cancellationToken);

    /// <summary>
    /// Takes the session lock that keeps checks of one mailbox from overlapping anywhere in the cluster.
    /// Returns null when another check holds it. If this process dies, PostgreSQL drops the lock with the connection.
    /// </summary>
    public static async Task<MailboxLock?> TryLockMailboxAsync(string connectionString, Guid mailboxId, CancellationToken cancellationToken)
    {
        // Unpooled: a session lock must never ride back into the pool on a connection whose unlock failed.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        var key = MailboxKey(mailboxId);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
            command.Parameters.AddWithValue("key", key);
            if (await command.ExecuteScalarAsync(cancellationToken) is true)
            {
                return new MailboxLock(connection, key);
            }
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

/// <summary>Held while a mailbox is checked; closing its own (unpooled) connection releases the lock.</summary>
internal sealed class MailboxLock(NpgsqlConnection connection, long key) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            command.Parameters.AddWithValue("key", key);
            await command.ExecuteScalarAsync();
        }
        catch (NpgsqlException)
        {
            // A broken connection has released the lock already.
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }
}
