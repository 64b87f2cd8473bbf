using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using Npgsql;

namespace ImapEvents.Infrastructure.Imap;

/// <summary>Stores downloaded messages in PostgreSQL and remembers which server copies still need their change.</summary>
public sealed class MessageImporter(IDbContextFactory<AppDbContext> dbFactory, TimeProvider time)
{
    /// <summary>Which of these UIDs are already imported, and whether their server change is still pending.</summary>
    public async Task<Dictionary<long, bool>> FindImportedAsync(Guid mailboxId, long uidValidity, IReadOnlyCollection<long> uids, CancellationToken cancellationToken)
    {
        if (uids.Count == 0)
        {
            return [];
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var uidArray = uids.ToArray();
        return await db.ImportedMessages.AsNoTracking()
            .Where(m => m.MailboxId == mailboxId && m.UidValidity == uidValidity && uidArray.Contains(m.Uid))
            .ToDictionaryAsync(m => m.Uid, m => m.ServerChangePending, cancellationToken);
    }

    public async Task<long?> HighestImportedUidAsync(Guid mailboxId, long uidValidity, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ImportedMessages.Where(m => m.MailboxId == mailboxId && m.UidValidity == uidValidity)
            .MaxAsync(m => (long?)m.Uid, cancellationToken);
    }

    /// <summary>Which (Message-ID, size) pairs were imported from this mailbox under another UIDVALIDITY.</summary>
    public async Task<HashSet<(string MessageId, int Size)>> FindImportedElsewhereAsync(
        Guid mailboxId, long uidValidity, IReadOnlyCollection<(string? MessageId, int Size)> candidates, CancellationToken cancellationToken)
    {
        var messageIds = candidates.Where(c => c.MessageId is not null).Select(c => c.MessageId!).Distinct().ToArray();
        if (messageIds.Length == 0)
        {
            return [];
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.ImportedMessages.AsNoTracking()
            .Where(m => m.MailboxId == mailboxId && m.UidValidity != uidValidity && m.MessageId != null && messageIds.Contains(m.MessageId))
            .Select(m => new { m.MessageId, m.Size })
            .ToListAsync(cancellationToken);
        return rows.Select(r => (r.MessageId!, r.Size)).ToHashSet();
    }

    /// <summary>Parses and stores one message, marked as waiting for its server change.</summary>
    /// <returns>False when it was already imported (another check got there first).</returns>
    public async Task<bool> StoreAsync(Guid mailboxId, long uidValidity, long uid, byte[] rawMime, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(rawMime, writable: false);
        var message = await MimeMessage.LoadAsync(stream, cancellationToken);

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.ImportedMessages.Add(new ImportedMessage
        {
            Id = Guid.NewGuid(),
            MailboxId = mailboxId,
            UidValidity = uidValidity,
            Uid = uid,
            MessageId = Truncate(message.MessageId, 1000),
            From = Truncate(message.From.ToString(), 2000) ?? "",
            To = Truncate(message.To.ToString(), 4000) ?? "",
            Subject = Truncate(message.Subject, 2000) ?? "",
            Date = message.Date == DateTimeOffset.MinValue ? null : message.Date.ToUniversalTime(),
            Size = rawMime.Length,
            RawMime = rawMime,
            ImportedAt = time.GetUtcNow(),
            ServerChangePending = true,
        });

        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return false;
        }
    }

    public async Task MarkServerChangeDoneAsync(Guid mailboxId, long uidValidity, long uid, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.ImportedMessages
            .Where(m => m.MailboxId == mailboxId && m.UidValidity == uidValidity && m.Uid == uid)
            .ExecuteUpdateAsync(update => update.SetProperty(m => m.ServerChangePending, false), cancellationToken);
    }

    private static string? Truncate(string? value, int length) =>
        value is null || value.Length <= length ? value : value[..length];
}
