using ImapEvents.Core.Maintenance;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Maintenance;

public enum MaintenanceState
{
    /// <summary>On now: the mailboxes it applies to are in maintenance.</summary>
    Active = 0,

    /// <summary>Not on now, and will be (a weekly window between its periods, or a one-off window to come).</summary>
    Upcoming = 1,

    /// <summary>A one-off window that is over.</summary>
    Ended = 2,
}

/// <param name="Period">The period on now (Active), the next one (Upcoming), or the one it had (Ended).</param>
/// <param name="MailboxCount">How many mailboxes it applies to now, whenever it is on.</param>
public sealed record MaintenanceWindowRow(MaintenanceWindow Window, MaintenanceState State, MaintenancePeriod? Period, int MailboxCount);

/// <summary>A mailbox to choose for a window, by its display name.</summary>
public sealed record MailboxChoice(Guid Id, string DisplayName, string ServerName);

/// <summary>A mailbox that a window covers now: its checks and events go on, marked in maintenance, and no action runs.</summary>
public sealed record MailboxInMaintenance(Guid MailboxId, string DisplayName, string WindowName, DateTimeOffset Until);

public sealed record MaintenanceSaveResult(Guid? Id, IReadOnlyDictionary<string, string> Errors)
{
    public bool Succeeded => Errors.Count == 0;

    public static MaintenanceSaveResult Failed(string message) => new(null, new Dictionary<string, string> { [""] = message });
}

/// <summary>
/// What the Maintenance page does. Nothing here is cached: <see cref="MaintenanceCalendar"/> reads the
/// windows from PostgreSQL for every check it marks, so a change counts on every instance from its commit on.
/// </summary>
public sealed class MaintenanceAdministration(
    IDbContextFactory<AppDbContext> dbFactory,
    MaintenanceCalendar calendar,
    TimeProvider time,
    ILogger<MaintenanceAdministration> logger)
{
    public const string ConcurrencyConflict =
        "Someone else changed this maintenance window while you were editing. Close the form and open it again to see their changes.";

    public const string DeletedBySomeoneElse = "This maintenance window was deleted by someone else.";

    /// <summary>The zone of a weekly window that names none, and the one new windows start in.</summary>
    public TimeZoneInfo DefaultZone => calendar.DefaultZone;

    /// <summary>Every window with its state: on now first (ending soonest first), then to come (starting soonest first), then one-off windows that ended (latest first).</summary>
    public async Task<IReadOnlyList<MaintenanceWindowRow>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var windows = await db.MaintenanceWindows.AsNoTracking().ToListAsync(cancellationToken);
        var mailboxes = await MailboxChoicesAsync(db, cancellationToken);
        var now = time.GetUtcNow();
        var rows = windows.Select(w => Row(w, now, mailboxes)).ToList();
        return
        [
            .. rows.Where(r => r.State == MaintenanceState.Active).OrderBy(r => r.Period!.Value.End).ThenBy(r => r.Window.Name, StringComparer.OrdinalIgnoreCase),
            .. rows.Where(r => r.State == MaintenanceState.Upcoming).OrderBy(r => r.Period!.Value.Start).ThenBy(r => r.Window.Name, StringComparer.OrdinalIgnoreCase),
            .. rows.Where(r => r.State == MaintenanceState.Ended).OrderByDescending(r => r.Window.EndsAt).ThenBy(r => r.Window.Name, StringComparer.OrdinalIgnoreCase),
        ];
    }

    public async Task<MaintenanceWindow?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.MaintenanceWindows.AsNoTracking().SingleOrDefaultAsync(w => w.Id == id, cancellationToken);
    }

    /// <summary>The mailboxes a window may be for, by display name.</summary>
    public async Task<IReadOnlyList<MailboxChoice>> MailboxChoicesAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await MailboxChoicesAsync(db, cancellationToken);
    }

    /// <summary>The mailboxes in maintenance now, each with the window that covers it longest.</summary>
    public async Task<IReadOnlyList<MailboxInMaintenance>> InMaintenanceNowAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var active = new List<(MaintenanceWindow Window, DateTimeOffset Until)>();
        foreach (var window in await MaintenanceCalendar.ActiveCandidatesAsync(db, now, cancellationToken))
        {
            if (window.CurrentOrNext(now, DefaultZone) is { } period && period.Contains(now))
            {
                active.Add((window, period.End));
            }
        }

        if (active.Count == 0)
        {
            return [];
        }

        var covered = new List<MailboxInMaintenance>();
        foreach (var mailbox in await MailboxChoicesAsync(db, cancellationToken))
        {
            var covering = active.Where(a => a.Window.Applies(mailbox.Id, mailbox.ServerName)).ToList();
            if (covering.Count > 0)
            {
                var longest = covering.MaxBy(a => a.Until);
                covered.Add(new MailboxInMaintenance(mailbox.Id, mailbox.DisplayName, longest.Window.Name, longest.Until));
            }
        }

        return covered;
    }

    public async Task<MaintenanceSaveResult> CreateAsync(string actingUserId, MaintenanceWindow draft, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var window = new MaintenanceWindow { Id = Guid.NewGuid(), CreatedAt = now };
        var errors = await ApplyAsync(db, draft, window, now, cancellationToken);
        if (errors.Count > 0)
        {
            return new MaintenanceSaveResult(null, errors);
        }

        var actor = await ActorAsync(db, actingUserId, cancellationToken);
        window.CreatedBy = actor;
        db.MaintenanceWindows.Add(window);
        await db.SaveChangesAsync(cancellationToken);
        Log(window, "added", actor);
        return new MaintenanceSaveResult(window.Id, errors);
    }

    /// <param name="version">The version the editor opened; a window changed since is not overwritten.</param>
    public async Task<MaintenanceSaveResult> UpdateAsync(string actingUserId, Guid id, MaintenanceWindow draft, uint version, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var window = await db.MaintenanceWindows.SingleOrDefaultAsync(w => w.Id == id, cancellationToken);
        if (window is null)
        {
            return MaintenanceSaveResult.Failed(DeletedBySomeoneElse);
        }

        db.Entry(window).Property(w => w.Version).OriginalValue = version;
        var errors = await ApplyAsync(db, draft, window, now, cancellationToken);
        if (errors.Count > 0)
        {
            return new MaintenanceSaveResult(null, errors);
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return MaintenanceSaveResult.Failed(ConcurrencyConflict);
        }

        Log(window, "changed", await ActorAsync(db, actingUserId, cancellationToken));
        return new MaintenanceSaveResult(window.Id, errors);
    }

    /// <summary>Ends a one-off window that is on now, at once: its mailboxes' actions run again from this moment.</summary>
    public async Task<MaintenanceSaveResult> EndNowAsync(string actingUserId, Guid id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var window = await db.MaintenanceWindows.SingleOrDefaultAsync(w => w.Id == id, cancellationToken);
        if (window is null)
        {
            return MaintenanceSaveResult.Failed(DeletedBySomeoneElse);
        }

        if (window.Recurrence != MaintenanceRecurrence.Once)
        {
            return MaintenanceSaveResult.Failed("Only a one-off window can be ended early; change or delete a weekly one.");
        }

        if (!window.IsActive(now, DefaultZone))
        {
            return MaintenanceSaveResult.Failed($"{window.Name} is not on now, so there is nothing to end.");
        }

        window.EndsAt = now;
        window.UpdatedAt = now;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return MaintenanceSaveResult.Failed(ConcurrencyConflict);
        }

        Log(window, "ended early", await ActorAsync(db, actingUserId, cancellationToken));
        return new MaintenanceSaveResult(window.Id, new Dictionary<string, string>());
    }

    /// <returns>False when the window was gone already.</returns>
    public async Task<bool> DeleteAsync(string actingUserId, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var window = await db.MaintenanceWindows.AsNoTracking().SingleOrDefaultAsync(w => w.Id == id, cancellationToken);
        if (window is null || await db.MaintenanceWindows.Where(w => w.Id == id).ExecuteDeleteAsync(cancellationToken) == 0)
        {
            return false;
        }

        Log(window, "deleted", await ActorAsync(db, actingUserId, cancellationToken));
        return true;
    }

    private MaintenanceWindowRow Row(MaintenanceWindow window, DateTimeOffset now, IReadOnlyList<MailboxChoice> mailboxes)
    {
        var count = mailboxes.Count(m => window.Applies(m.Id, m.ServerName));
        return window.CurrentOrNext(now, DefaultZone) switch
        {
            { } period when period.Contains(now) => new MaintenanceWindowRow(window, MaintenanceState.Active, period, count),
            { } period => new MaintenanceWindowRow(window, MaintenanceState.Upcoming, period, count),
            null => new MaintenanceWindowRow(
                window,
                MaintenanceState.Ended,
                window is { StartsAt: { } start, EndsAt: { } end } ? new MaintenancePeriod(start, end) : null,
                count),
        };
    }

    /// <summary>Copies what the editor may change onto <paramref name="window"/>, tidied, and checks it.</summary>
    private static async Task<IReadOnlyDictionary<string, string>> ApplyAsync(
        AppDbContext db, MaintenanceWindow draft, MaintenanceWindow window, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var once = draft.Recurrence == MaintenanceRecurrence.Once;
        window.Name = draft.Name.Trim();
        window.Recurrence = draft.Recurrence;
        // PostgreSQL's timestamptz takes UTC only (Npgsql refuses other offsets).
        window.StartsAt = once ? draft.StartsAt?.ToUniversalTime() : null;
        window.EndsAt = once ? draft.EndsAt?.ToUniversalTime() : null;
        window.Days = once ? DaysOfWeek.None : draft.Days;
        window.TimeFrom = once ? null : draft.TimeFrom;
        window.TimeTo = once ? null : draft.TimeTo;
        window.TimeZoneId = string.IsNullOrWhiteSpace(draft.TimeZoneId) ? null : draft.TimeZoneId.Trim();
        window.Scope = draft.Scope;
        window.ServerPattern = draft.Scope == MaintenanceScope.ServerPattern ? draft.ServerPattern?.Trim() : null;
        window.MailboxIds = draft.Scope == MaintenanceScope.ChosenMailboxes ? draft.MailboxIds.Distinct().ToList() : [];
        window.UpdatedAt = now;

        var errors = new Dictionary<string, string>(MaintenanceValidation.Validate(window, now), StringComparer.Ordinal);
        if (window.MailboxIds.Count > 0)
        {
            // A mailbox deleted while the editor was open: keep the others; say so when none is left.
            var chosen = window.MailboxIds;
            var existing = await db.Mailboxes.AsNoTracking().Where(m => chosen.Contains(m.Id)).Select(m => m.Id).ToListAsync(cancellationToken);
            window.MailboxIds = chosen.Where(existing.Contains).ToList();
            if (window.MailboxIds.Count == 0)
            {
                errors[MaintenanceValidation.Mailboxes] = "The chosen mailboxes were deleted; choose others.";
            }
        }

        return errors;
    }

    private static Task<List<MailboxChoice>> MailboxChoicesAsync(AppDbContext db, CancellationToken cancellationToken) =>
        db.Mailboxes.AsNoTracking()
            .OrderBy(m => m.DisplayName).ThenBy(m => m.Id)
            .Select(m => new MailboxChoice(m.Id, m.DisplayName, m.ServerName))
            .ToListAsync(cancellationToken);

    /// <summary>The acting user's email, as windows name who added them; their id when the user is gone.</summary>
    private static async Task<string> ActorAsync(AppDbContext db, string actingUserId, CancellationToken cancellationToken) =>
        await db.Users.AsNoTracking().Where(u => u.Id == actingUserId).Select(u => u.Email).SingleOrDefaultAsync(cancellationToken) ?? actingUserId;

    /// <summary>
    /// Who changed a window is logged rather than stored: the table keeps only who added it, and a column for
    /// the last editor would need a migration.
    /// </summary>
    private void Log(MaintenanceWindow window, string change, string actor) =>
        logger.LogInformation("Maintenance window {WindowName} ({WindowId}) {Change} by {User}", window.Name, window.Id, change, actor);
}
