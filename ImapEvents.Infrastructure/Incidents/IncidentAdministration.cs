using ImapEvents.Core.Incidents;
using ImapEvents.Infrastructure.Activity;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Infrastructure.Incidents;

/// <summary>What administrators do to incidents: acknowledge them. Mailbox changes close them through <see cref="CloseOpenAsync"/>.</summary>
public sealed class IncidentAdministration(IDbContextFactory<AppDbContext> dbFactory, TimeProvider time)
{
    /// <summary>The form field the note's errors belong to.</summary>
    public const string NoteField = "Note";

    public const int MaxNoteLength = 2000;

    public const string ClosedBecauseDisabled = "Closed because the mailbox was disabled";

    public const string ClosedBecauseDeleted = "Closed because the mailbox was deleted";

    /// <summary>
    /// Records who acknowledged the incident, when, and why (the note), in the incident and in its timeline, which is
    /// the audit trail. The incident row is locked while this is decided, so of two administrators acknowledging at
    /// once one is told the other was first; a notification or escalation decided under the same row lock sees the
    /// acknowledgement wholly or not at all.
    /// </summary>
    public async Task<OperationResult> AcknowledgeAsync(string userId, Guid incidentId, string? note, CancellationToken cancellationToken)
    {
        if (note?.Trim().Length > MaxNoteLength)
        {
            return OperationResult.Fail(NoteField, $"Keep the note under {MaxNoteLength} characters.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId && EnabledAdministrators.Ids(db).Contains(u.Id))
            .Select(u => new { u.Email, u.UserName })
            .SingleOrDefaultAsync(cancellationToken);
        if (user is null)
        {
            return OperationResult.Fail(null, "Only an enabled system administrator may acknowledge incidents.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var incident = await LockAsync(db, $"SELECT * FROM incidents WHERE \"Id\" = {incidentId} FOR UPDATE", cancellationToken);
        if (incident is null)
        {
            return OperationResult.Fail(null, "This incident no longer exists.");
        }

        if (!incident.IsOpen)
        {
            return OperationResult.Fail(null, "This incident is closed: there is nothing left to acknowledge. A new failure opens a new incident.");
        }

        if (incident.IsAcknowledged)
        {
            return OperationResult.Fail(null, $"{incident.AcknowledgedBy} acknowledged this incident already, at {incident.AcknowledgedAt:yyyy-MM-dd HH:mm} UTC.");
        }

        db.IncidentChanges.Add(incident.Acknowledge(userId, user.Email ?? user.UserName ?? userId, note, time.GetUtcNow()));
        await db.SaveChangesAsync(cancellationToken);
        await AnnounceAsync(db, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return OperationResult.Success;
    }

    /// <summary>
    /// Ends the mailbox's open incident without a recovery, in the caller's transaction, and clears the mailbox's
    /// pointer to it: once a mailbox is disabled or deleted no check will ever close it. Does nothing when it has none.
    /// </summary>
    internal static async Task CloseOpenAsync(AppDbContext db, Guid mailboxId, string reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var incident = await LockAsync(db, $"SELECT * FROM incidents WHERE \"MailboxId\" = {mailboxId} AND \"ClosedAt\" IS NULL FOR UPDATE", cancellationToken);
        if (incident is null)
        {
            return;
        }

        db.IncidentChanges.Add(incident.Close(reason, at));
        await db.SaveChangesAsync(cancellationToken);
        await db.MailboxStatuses.Where(s => s.MailboxId == mailboxId && s.OpenIncidentId == incident.Id)
            .ExecuteUpdateAsync(update => update.SetProperty(s => s.OpenIncidentId, (Guid?)null), cancellationToken);
    }

    private static Task<Incident?> LockAsync(AppDbContext db, FormattableString sql, CancellationToken cancellationToken) =>
        db.Incidents.FromSql(sql).AsTracking().SingleOrDefaultAsync(cancellationToken);

    /// <summary>
    /// Open pages follow incidents through the "checks" notifications (a check is what changes an incident, through
    /// mailbox_status, which has the trigger). An acknowledgement changes no mailbox status, so it says so itself.
    /// </summary>
    private static Task<int> AnnounceAsync(AppDbContext db, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_notify({ActivityFeed.Channel}, 'checks')", cancellationToken);
}
