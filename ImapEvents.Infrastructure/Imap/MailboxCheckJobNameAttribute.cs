using System.Data.Common;
using System.Globalization;
using Hangfire;
using Hangfire.Common;
using Hangfire.Dashboard;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Infrastructure.Imap;

/// <summary>
/// Names a check job in the job dashboard after its mailbox: "Check mailbox Support (imap.example.com)".
/// The job's only argument is the mailbox id, so the name is read when the dashboard shows the job: it
/// is always the current one, and a deleted mailbox shows as "(deleted) id".
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class MailboxCheckJobNameAttribute(string displayName) : JobDisplayNameAttribute(displayName)
{
    private static readonly object NamesOfThisRequest = new();

    public override string Format(DashboardContext context, Job job)
    {
        if (job.Args.Count == 0 || job.Args[0] is not Guid mailboxId || context is not AspNetCoreDashboardContext { HttpContext: var http })
        {
            return base.Format(context, job);
        }

        // A dashboard page lists many jobs, often of the same mailbox: each is read once per request, by its key.
        var names = http.Items[NamesOfThisRequest] as Dictionary<Guid, string> ?? [];
        http.Items[NamesOfThisRequest] = names;
        if (!names.TryGetValue(mailboxId, out var name))
        {
            try
            {
                name = Describe(http.RequestServices.GetRequiredService<IDbContextFactory<AppDbContext>>(), mailboxId);
            }
            catch (DbException)
            {
                // PostgreSQL is away: the dashboard still shows the job, by id.
                return base.Format(context, job);
            }

            names[mailboxId] = name;
        }

        return string.Format(CultureInfo.CurrentCulture, DisplayName, name);
    }

    /// <summary>Synchronous, as Hangfire renders its pages.</summary>
    private static string Describe(IDbContextFactory<AppDbContext> dbFactory, Guid mailboxId)
    {
        using var db = dbFactory.CreateDbContext();
        var mailbox = db.Mailboxes.AsNoTracking()
            .Where(m => m.Id == mailboxId)
            .Select(m => new { m.DisplayName, m.ServerName })
            .SingleOrDefault();
        return mailbox is null ? $"(deleted) {mailboxId}" : $"{mailbox.DisplayName} ({mailbox.ServerName})";
    }
}
