using ImapEvents.Core.Text;
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

    /// <summary>
    /// Where importing from this folder stands: the highest UID imported so far, and the UIDs that
    /// failed and are to be tried again. One context, asked once per check.
    /// </summary>
    public async Task<(long? HighestImported, List<long> Failed)> ProgressAsync(Guid mailboxId, long uidValidity, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // One round trip: every check of a mailbox that keeps its mail asks this.
        var progress = await db.Database.SqlQuery<ImportProgress>(
            $"""
            SELECT (SELECT max("Uid") FROM imported_messages WHERE "MailboxId" = {mailboxId} AND "UidValidity" = {uidValidity}) AS "Highest",
                   ARRAY(SELECT "Uid" FROM import_failures WHERE "MailboxId" = {mailboxId} AND "UidValidity" = {uidValidity}) AS "Failed"
            """).SingleAsync(cancellationToken);
        return (progress.Highest, progress.Highest is null ? [] : [.. progress.Failed]);
    }

    private sealed class ImportProgress
    {
        public long? Highest { get; set; }

        public long[] Failed { get; set; } = [];
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

    /// <summary>
    /// Gives a message imported under an older UIDVALIDITY its new number, so later checks know it
    /// (and the highest-UID search moves on); its server change is then done like any other.
    /// </summary>
    public async Task RenumberAsync(Guid mailboxId, string messageId, int size, long uidValidity, long uid, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var id = await db.ImportedMessages.AsNoTracking()
            .Where(m => m.MailboxId == mailboxId && m.MessageId == messageId && m.Size == size && m.UidValidity != uidValidity)
            .OrderByDescending(m => m.ImportedAt)
            .Select(m => (Guid?)m.Id)
            .FirstOrDefaultAsync(cancellationToken);
        if (id is { } found)
        {
            await db.ImportedMessages.Where(m => m.Id == found).ExecuteUpdateAsync(update => update
                .SetProperty(m => m.UidValidity, uidValidity)
                .SetProperty(m => m.Uid, uid)
                .SetProperty(m => m.ServerChangePending, true), cancellationToken);
        }
    }

    public async Task RecordFailureAsync(Guid mailboxId, long uidValidity, long uid, string error, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var message = Truncate(error, 2000) ?? "";
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO import_failures ("MailboxId", "UidValidity", "Uid", "Attempts", "LastError", "LastAttemptAt")
            VALUES ({mailboxId}, {uidValidity}, {uid}, 1, {message}, {now})
            ON CONFLICT ("MailboxId", "UidValidity", "Uid")
            DO UPDATE SET "Attempts" = import_failures."Attempts" + 1, "LastError" = EXCLUDED."LastError", "LastAttemptAt" = EXCLUDED."LastAttemptAt"
            """, cancellationToken);
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

        // A message that failed before and now imports is no longer a failure: one transaction for both.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.ImportFailures.Where(f => f.MailboxId == mailboxId && f.UidValidity == uidValidity && f.Uid == uid).ExecuteDeleteAsync(cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
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

    private static string? Truncate(string? value, int length) => StoredText.ClipOrNull(value, length);
}
