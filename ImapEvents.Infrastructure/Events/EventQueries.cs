using ImapEvents.Core.Events;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Infrastructure.Events;

public sealed record EventQuery(
    ImapEventType? Type = null,
    Guid? MailboxId = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    int Page = 0,
    int PageSize = 50);

public sealed record MailboxOption(Guid Id, string DisplayName);

/// <summary>The Events page: stored events, newest first, filtered and paged in PostgreSQL.</summary>
public sealed class EventQueries(IDbContextFactory<AppDbContext> dbFactory)
{
    public async Task<ListPage<ImapEvent>> ListAsync(EventQuery query, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var events = db.Events.AsNoTracking();
        if (query.Type is { } type)
        {
            events = events.Where(e => e.Type == type);
        }

        if (query.MailboxId is { } mailboxId)
        {
            events = events.Where(e => e.MailboxId == mailboxId);
        }

        if (query.From is { } from)
        {
            events = events.Where(e => e.OccurredAt >= from);
        }

        if (query.To is { } to)
        {
            events = events.Where(e => e.OccurredAt < to);
        }

        var total = await events.CountAsync(cancellationToken);
        var page = await events
            .OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id)
            .Skip(query.Page * query.PageSize)
            .Take(query.PageSize)
            .ToListAsync(cancellationToken);
        return new ListPage<ImapEvent>(page, total);
    }

    public async Task<IReadOnlyList<MailboxOption>> MailboxesAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Mailboxes.AsNoTracking().OrderBy(m => m.DisplayName)
            .Select(m => new MailboxOption(m.Id, m.DisplayName))
            .ToListAsync(cancellationToken);
    }
}
