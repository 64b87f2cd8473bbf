using ImapEvents.Core.Maintenance;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Maintenance;

/// <summary>Answers whether a maintenance window covers a mailbox now, from the windows stored in PostgreSQL.</summary>
public sealed class MaintenanceCalendar(IOptions<RuleOptions> options)
{
    private readonly TimeZoneInfo defaultZone = options.Value.ResolveDefaultZone();

    /// <summary>The server's configured zone: that of a weekly window that names none.</summary>
    public TimeZoneInfo DefaultZone => defaultZone;

    /// <summary>Reads inside the caller's transaction, so the answer belongs with the check outcome it marks.</summary>
    public async Task<bool> CoversAsync(AppDbContext db, Guid mailboxId, string serverName, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var windows = await ActiveCandidatesAsync(db, at, cancellationToken);
        return windows.Any(w => w.Covers(mailboxId, serverName, at, defaultZone));
    }

    /// <summary>The windows that may be on at <paramref name="at"/>: every weekly one, and one-off ones spanning it.</summary>
    public static Task<List<MaintenanceWindow>> ActiveCandidatesAsync(AppDbContext db, DateTimeOffset at, CancellationToken cancellationToken) =>
        db.MaintenanceWindows.AsNoTracking()
            .Where(w => w.Recurrence == MaintenanceRecurrence.Weekly || (w.StartsAt <= at && w.EndsAt > at))
            .ToListAsync(cancellationToken);

    public bool Covers(IEnumerable<MaintenanceWindow> windows, Guid mailboxId, string serverName, DateTimeOffset at) =>
        windows.Any(w => w.Covers(mailboxId, serverName, at, defaultZone));
}
