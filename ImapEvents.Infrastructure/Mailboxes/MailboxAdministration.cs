using Hangfire;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Mailboxes;

public sealed record MailboxRow(
    Guid Id,
    string DisplayName,
    string ServerName,
    int ServerPort,
    ConnectionSecurity Security,
    bool AcceptUntrustedCertificate,
    string LoginUsername,
    string Folder,
    int PollIntervalMinutes,
    bool Enabled,
    DateTimeOffset? LastCheckAt,
    CheckOutcome? LastOutcome,
    CheckStage? LastStage,
    string? LastError,
    int ConsecutiveFailures,
    long MessagesImported,
    DateTimeOffset? LastInterruptedCheckAt = null,
    string? LastInterruption = null,
    Guid? OpenIncidentId = null,
    DateTimeOffset? FailingSince = null,
    DateTimeOffset? CertificateExpiresSoon = null,
    bool CertificateExpired = false,
    DateTimeOffset? NextCheckAt = null,
    bool CheckingNow = false)
{
    /// <summary>Why the latest check did not finish, when no check finished after it started.</summary>
    public string? InterruptionToShow =>
        LastInterruptedCheckAt is { } started && (LastCheckAt is null || started > LastCheckAt) ? LastInterruption : null;
}

public sealed record MailboxHealthSummary(int Total, int Disabled, int Healthy, int Failing, int NotCheckedYet);

/// <summary>How a mailbox stands, as the dashboard counts it and the Mailboxes page filters it.</summary>
public enum MailboxHealthState
{
    Healthy = 1,
    Failing = 2,

    /// <summary>Enabled, and no check has finished yet (one stopped by a shutdown does not count).</summary>
    NotCheckedYet = 3,
    Disabled = 4,
}

public sealed record MailboxListQuery(string? Search = null, int Page = 0, int PageSize = 25, MailboxHealthState? Health = null);

public sealed record ListPage<T>(IReadOnlyList<T> Items, int TotalCount);

public sealed record MailboxForEdit(Guid Id, MailboxSettings Settings, uint Version);

public sealed record MailboxSaveResult(Guid? Id, IReadOnlyDictionary<string, string> Errors, bool CheckQueued = false)
{
    public bool Succeeded => Errors.Count == 0;

    public static MailboxSaveResult Failed(string? field, string message) =>
        new(null, new Dictionary<string, string> { [field ?? ""] = message });
}

/// <summary>What the Mailboxes page does: list with health, create, edit, enable, delete, check now.</summary>
public sealed class MailboxAdministration(
    IDbContextFactory<AppDbContext> dbFactory,
    MailboxPasswords passwords,
    IBackgroundJobClient jobs,
    IOptions<IncidentSettings> incidentSettings,
    TimeProvider time)
{
    public const string PasswordForNewServer =
        "Enter the password again: a stored password is only ever sent to the server, port, username and security it was entered for.";

    public const string ConcurrencyConflict =
        "Someone else changed this mailbox while you were editing. Close the form and open it again to see their changes.";

    public async Task<ListPage<MailboxRow>> ListAsync(MailboxListQuery query, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var mailboxes = db.Mailboxes.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var pattern = LikePattern.Containing(query.Search);
            mailboxes = mailboxes.Where(m =>
                EF.Functions.ILike(m.DisplayName, pattern) || EF.Functions.ILike(m.ServerName, pattern) || EF.Functions.ILike(m.LoginUsername, pattern));
        }

        var withStatus =
            from mailbox in mailboxes
            join status in db.MailboxStatuses on mailbox.Id equals status.MailboxId into statuses
            from status in statuses.DefaultIfEmpty()
            // At most one: a unique index keeps one open incident per mailbox.
            join incident in db.Incidents.Where(i => i.ClosedAt == null) on (Guid?)mailbox.Id equals incident.MailboxId into openIncidents
            from incident in openIncidents.DefaultIfEmpty()
            join schedule in db.CheckSchedules on mailbox.Id equals schedule.MailboxId into schedules
            from schedule in schedules.DefaultIfEmpty()
            select new { Mailbox = mailbox, Status = status, Outcome = status == null ? null : status.LastOutcome, Incident = incident, Schedule = schedule };
        // HealthOf, in SQL.
        if (query.Health is { } health)
        {
            withStatus = health switch
            {
                MailboxHealthState.Healthy => withStatus.Where(m => m.Mailbox.Enabled && m.Outcome == CheckOutcome.Succeeded),
                MailboxHealthState.Failing => withStatus.Where(m => m.Mailbox.Enabled && m.Outcome == CheckOutcome.Failed),
                MailboxHealthState.NotCheckedYet => withStatus.Where(m => m.Mailbox.Enabled && (m.Outcome == null || m.Outcome == CheckOutcome.Interrupted)),
                MailboxHealthState.Disabled => withStatus.Where(m => !m.Mailbox.Enabled),
            };
        }

        var total = await withStatus.CountAsync(cancellationToken);
        // The certificate is shown as a warning from the day IMAP Certificate Expiring would be raised.
        var now = time.GetUtcNow();
        var warnBefore = now.AddDays(incidentSettings.Value.CertificateWarningDays);
        var rows = await withStatus
            .OrderBy(m => m.Mailbox.DisplayName).ThenBy(m => m.Mailbox.Id)
            .Select(m => new MailboxRow(
                m.Mailbox.Id, m.Mailbox.DisplayName, m.Mailbox.ServerName, m.Mailbox.ServerPort, m.Mailbox.Security,
                m.Mailbox.AcceptUntrustedCertificate, m.Mailbox.LoginUsername, m.Mailbox.Folder, m.Mailbox.PollIntervalMinutes,
                m.Mailbox.Enabled,
                m.Status == null ? null : m.Status.LastCheckAt,
                m.Outcome,
                m.Status == null ? null : m.Status.LastStage,
                m.Status == null ? null : m.Status.LastError,
                m.Status == null ? 0 : m.Status.ConsecutiveFailures,
                m.Status == null ? 0 : m.Status.MessagesImported,
                m.Status == null ? null : m.Status.LastInterruptedCheckAt,
                m.Status == null ? null : m.Status.LastInterruption,
                m.Incident == null ? null : m.Incident.Id,
                m.Incident == null ? null : m.Incident.OpenedAt,
                m.Status != null && m.Status.CertificateExpiresAt < warnBefore ? m.Status.CertificateExpiresAt : null,
                m.Status != null && m.Status.CertificateExpiresAt <= now,
                m.Schedule == null ? null : m.Schedule.DueAt,
                m.Schedule != null && m.Schedule.LeasedUntil > now))
            .Skip(query.Page * query.PageSize)
            .Take(query.PageSize)
            .ToListAsync(cancellationToken);
        return new ListPage<MailboxRow>(rows, total);
    }

    /// <summary>The home dashboard's view of all mailboxes: how many are fine, failing, or not checked yet.</summary>
    public async Task<MailboxHealthSummary> HealthSummaryAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await (
                from mailbox in db.Mailboxes
                join status in db.MailboxStatuses on mailbox.Id equals status.MailboxId into statuses
                from status in statuses.DefaultIfEmpty()
                group status by new { mailbox.Enabled, Outcome = status == null ? null : status.LastOutcome } into g
                select new { g.Key.Enabled, g.Key.Outcome, Count = g.Count() })
            .ToListAsync(cancellationToken);
        int Count(MailboxHealthState state) => rows.Where(r => HealthOf(r.Enabled, r.Outcome) == state).Sum(r => r.Count);
        return new MailboxHealthSummary(
            rows.Sum(r => r.Count),
            Count(MailboxHealthState.Disabled),
            Count(MailboxHealthState.Healthy),
            Count(MailboxHealthState.Failing),
            Count(MailboxHealthState.NotCheckedYet));
    }

    /// <summary>How a mailbox stands after its last finished check (ListAsync's filter reads it the same way).</summary>
    public static MailboxHealthState HealthOf(bool enabled, CheckOutcome? lastOutcome) => (enabled, lastOutcome) switch
    {
        (false, _) => MailboxHealthState.Disabled,
        (true, CheckOutcome.Succeeded) => MailboxHealthState.Healthy,
        (true, CheckOutcome.Failed) => MailboxHealthState.Failing,
        (true, null or CheckOutcome.Interrupted) => MailboxHealthState.NotCheckedYet,
    };

    public async Task<MailboxForEdit?> GetForEditAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var mailbox = await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        return mailbox is null ? null : new MailboxForEdit(mailbox.Id, MailboxSettings.From(mailbox), mailbox.Version);
    }

    public async Task<MailboxSaveResult> CreateAsync(MailboxSettings settings, CancellationToken cancellationToken)
    {
        var errors = MailboxRules.Validate(settings, isNew: true);
        if (errors.Count > 0)
        {
            return new MailboxSaveResult(null, errors);
        }

        var now = time.GetUtcNow();
        var mailbox = new Mailbox { Id = Guid.NewGuid(), CreatedAt = now };
        Apply(settings, mailbox, now);

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.Mailboxes.Add(mailbox);
        db.CheckSchedules.Add(new CheckSchedule { MailboxId = mailbox.Id, DueAt = MailboxSchedule.NextDue(mailbox, now) });
        await db.SaveChangesAsync(cancellationToken);
        // A new mailbox is checked at once, so a wrong password shows now, not an interval later.
        return new MailboxSaveResult(mailbox.Id, new Dictionary<string, string>(), QueueCheckIf(mailbox.Enabled, mailbox.Id));
    }

    public async Task<MailboxSaveResult> UpdateAsync(Guid id, MailboxSettings settings, uint version, CancellationToken cancellationToken)
    {
        var errors = MailboxRules.Validate(settings, isNew: false);
        if (errors.Count > 0)
        {
            return new MailboxSaveResult(null, errors);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var mailbox = await db.Mailboxes.SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        if (mailbox is null)
        {
            return MailboxSaveResult.Failed(null, "This mailbox was deleted by someone else.");
        }

        if (string.IsNullOrEmpty(settings.Password) && EndpointChanged(mailbox, settings))
        {
            return new MailboxSaveResult(null, new Dictionary<string, string> { [nameof(MailboxSettings.Password)] = PasswordForNewServer });
        }

        db.Entry(mailbox).Property(m => m.Version).OriginalValue = version;
        var wasEnabled = mailbox.Enabled;
        var intervalBefore = mailbox.PollIntervalMinutes;
        var checkedBefore = CheckedSettings.Of(mailbox);
        var now = time.GetUtcNow();
        Apply(settings, mailbox, now);
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                return MailboxSaveResult.Failed(null, ConcurrencyConflict);
            }

            if (wasEnabled && !mailbox.Enabled)
            {
                await IncidentAdministration.CloseOpenAsync(db, id, IncidentAdministration.ClosedBecauseDisabled, now, cancellationToken);
            }

            if (wasEnabled && mailbox.Enabled && mailbox.PollIntervalMinutes < intervalBefore)
            {
                await MailboxSchedule.SetShorterIntervalDueAsync(db, mailbox, now, cancellationToken);
            }
            else if (wasEnabled != mailbox.Enabled || intervalBefore != mailbox.PollIntervalMinutes)
            {
                await MailboxSchedule.SetDueAsync(db, mailbox, now, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        // Someone who just fixed a password or a server name wants to know now whether it works.
        var checkNow = mailbox.Enabled && (!wasEnabled || CheckedSettings.Of(mailbox) != checkedBefore);
        return new MailboxSaveResult(mailbox.Id, new Dictionary<string, string>(), QueueCheckIf(checkNow, mailbox.Id));
    }

    public async Task<bool> SetEnabledAsync(Guid id, bool enabled, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var mailbox = await db.Mailboxes.SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        if (mailbox is null)
        {
            return false;
        }

        var wasEnabled = mailbox.Enabled;
        var now = time.GetUtcNow();
        mailbox.Enabled = enabled;
        mailbox.UpdatedAt = now;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await db.SaveChangesAsync(cancellationToken);
            if (wasEnabled && !enabled)
            {
                await IncidentAdministration.CloseOpenAsync(db, id, IncidentAdministration.ClosedBecauseDisabled, now, cancellationToken);
            }

            if (wasEnabled != enabled)
            {
                await MailboxSchedule.SetDueAsync(db, mailbox, now, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        // Re-enabled: checked at once, then at its interval.
        QueueCheckIf(enabled && !wasEnabled, id);
        return true;
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Before the delete, which unlinks the incident from the mailbox (it stays listed, with the mailbox's name).
        await IncidentAdministration.CloseOpenAsync(db, id, IncidentAdministration.ClosedBecauseDeleted, time.GetUtcNow(), cancellationToken);
        var deleted = await db.Mailboxes.Where(m => m.Id == id).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return deleted > 0;
    }

    /// <summary>Queues a check right away; returns the Hangfire job id.</summary>
    public string CheckNow(Guid id) => jobs.Enqueue<MailboxCheckJob>(job => job.RunNowAsync(id, CancellationToken.None));

    /// <summary>The check on save: the same job as Check now, queued after the mailbox committed; the interval goes on as before.</summary>
    private bool QueueCheckIf(bool condition, Guid id)
    {
        if (condition)
        {
            CheckNow(id);
        }

        return condition;
    }

    /// <summary>What a check's result depends on; a saved change here is checked at once.</summary>
    private sealed record CheckedSettings(
        string ServerName, int ServerPort, ConnectionSecurity Security, bool AcceptUntrustedCertificate, string LoginUsername, string ProtectedPassword, string Folder)
    {
        public static CheckedSettings Of(Mailbox mailbox) => new(
            mailbox.ServerName, mailbox.ServerPort, mailbox.Security, mailbox.AcceptUntrustedCertificate, mailbox.LoginUsername, mailbox.ProtectedPassword, mailbox.Folder);
    }

    /// <summary>
    /// The mailbox as the form describes it, with the stored password when the form left it empty and
    /// still points at the server the password was entered for; null when the password must be typed.
    /// </summary>
    public async Task<(Mailbox Mailbox, string Password)?> ForTestAsync(Guid? id, MailboxSettings settings, CancellationToken cancellationToken)
    {
        var mailbox = new Mailbox { Id = id ?? Guid.Empty };
        Apply(settings with { Password = null }, mailbox, time.GetUtcNow());
        if (!string.IsNullOrEmpty(settings.Password))
        {
            return (mailbox, settings.Password);
        }

        if (id is null)
        {
            return null;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stored = await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        return stored is null || EndpointChanged(stored, settings) ? null : (mailbox, passwords.Unprotect(stored.ProtectedPassword));
    }

    /// <summary>Whether the form would send the stored password somewhere other than where it was entered for.</summary>
    private static bool EndpointChanged(Mailbox stored, MailboxSettings settings) =>
        !string.Equals(stored.ServerName, settings.ServerName.Trim().Trim('[', ']'), StringComparison.OrdinalIgnoreCase)
        || stored.ServerPort != settings.ServerPort
        || !string.Equals(stored.LoginUsername, settings.LoginUsername.Trim(), StringComparison.Ordinal)
        || stored.Security != settings.Security
        || (settings.AcceptUntrustedCertificate && !stored.AcceptUntrustedCertificate);

    private void Apply(MailboxSettings settings, Mailbox mailbox, DateTimeOffset now)
    {
        mailbox.DisplayName = settings.DisplayName.Trim();
        mailbox.ServerName = settings.ServerName.Trim().Trim('[', ']');
        mailbox.ServerPort = settings.ServerPort ?? 0;
        mailbox.Security = settings.Security;
        mailbox.AcceptUntrustedCertificate = settings.AcceptUntrustedCertificate && settings.Security != ConnectionSecurity.None;
        mailbox.LoginUsername = settings.LoginUsername.Trim();
        if (!string.IsNullOrEmpty(settings.Password))
        {
            mailbox.ProtectedPassword = passwords.Protect(settings.Password);
        }

        mailbox.Folder = settings.Folder.Trim();
        mailbox.PollIntervalMinutes = settings.PollIntervalMinutes ?? 0;
        mailbox.Enabled = settings.Enabled;
        mailbox.AfterImport = settings.AfterImport;
        mailbox.MoveToFolder = settings.AfterImport == AfterImport.MoveToFolder ? settings.MoveToFolder?.Trim() : null;
        mailbox.MaxMessageSizeKilobytes = settings.MaxMessageSizeKilobytes ?? 0;
        mailbox.UpdatedAt = now;
    }
}
