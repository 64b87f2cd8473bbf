using Hangfire;
using Hangfire.Storage;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Infrastructure.Mailboxes;

/// <summary>Keeps one Hangfire recurring job "mailbox-check:{id}" per enabled mailbox, and none for the others.</summary>
public sealed class MailboxSchedule(
    IRecurringJobManager recurringJobs,
    JobStorage storage,
    IDbContextFactory<AppDbContext> dbFactory,
    ILogger<MailboxSchedule> logger)
{
    public const string JobIdPrefix = "mailbox-check:";

    public static string JobId(Guid mailboxId) => $"{JobIdPrefix}{mailboxId}";

    public void Apply(Mailbox mailbox)
    {
        if (!mailbox.Enabled)
        {
            Remove(mailbox.Id);
            return;
        }

        var id = mailbox.Id;
        recurringJobs.AddOrUpdate<MailboxCheckJob>(
            JobId(id),
            JobQueues.Checks,
            job => job.RunAsync(id, CancellationToken.None),
            PollSchedule.Cron(mailbox.PollIntervalMinutes, id),
            new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
    }

    public void Remove(Guid mailboxId) => recurringJobs.RemoveIfExists(JobId(mailboxId));

    /// <summary>Repairs drift at start-up: a job for every enabled mailbox, no job for anything else.</summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var mailboxes = await db.Mailboxes.AsNoTracking().ToListAsync(cancellationToken);
        foreach (var mailbox in mailboxes)
        {
            Apply(mailbox);
        }

        var wanted = mailboxes.Where(m => m.Enabled).Select(m => JobId(m.Id)).ToHashSet(StringComparer.Ordinal);
        using var connection = storage.GetConnection();
        var stale = connection.GetRecurringJobs().Select(job => job.Id)
            .Where(id => id.StartsWith(JobIdPrefix, StringComparison.Ordinal) && !wanted.Contains(id))
            .ToList();
        foreach (var id in stale)
        {
            recurringJobs.RemoveIfExists(id);
        }

        logger.LogInformation("Mailbox schedule reconciled: {Scheduled} checks scheduled, {Removed} stale removed", wanted.Count, stale.Count);
    }
}
