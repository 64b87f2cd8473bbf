using ImapEvents.Core.Email;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Maintenance;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Core.Notifications;
using ImapEvents.Core.Providers;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Rules;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Infrastructure.Persistence;

public sealed class AppDbContext(DbContextOptions<AppDbContext> options)
    : IdentityDbContext<ApplicationUser>(options), IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<SetupToken> SetupTokens => Set<SetupToken>();

    public DbSet<Mailbox> Mailboxes => Set<Mailbox>();

    public DbSet<MailboxStatus> MailboxStatuses => Set<MailboxStatus>();

    public DbSet<MailboxCheck> MailboxChecks => Set<MailboxCheck>();

    public DbSet<Scheduling.CheckSchedule> CheckSchedules => Set<Scheduling.CheckSchedule>();

    public DbSet<ImportedMessage> ImportedMessages => Set<ImportedMessage>();

    public DbSet<ImapEvent> Events => Set<ImapEvent>();

    public DbSet<ImportFailure> ImportFailures => Set<ImportFailure>();

    public DbSet<EventRule> Rules => Set<EventRule>();

    public DbSet<EventRuleMatch> RuleMatches => Set<EventRuleMatch>();

    public DbSet<RuleAuditEntry> RuleAudit => Set<RuleAuditEntry>();

    public DbSet<RuleSetVersion> RuleSetVersions => Set<RuleSetVersion>();

    public DbSet<Delivery> Deliveries => Set<Delivery>();

    public DbSet<DeliveryAttempt> DeliveryAttempts => Set<DeliveryAttempt>();

    public DbSet<ActionThrottle> ActionThrottles => Set<ActionThrottle>();

    public DbSet<Incident> Incidents => Set<Incident>();

    public DbSet<IncidentChange> IncidentChanges => Set<IncidentChange>();

    public DbSet<IncidentNotification> IncidentNotifications => Set<IncidentNotification>();

    public DbSet<NotificationGroup> NotificationGroups => Set<NotificationGroup>();

    public DbSet<NotificationGroupMember> NotificationGroupMembers => Set<NotificationGroupMember>();

    public DbSet<MaintenanceWindow> MaintenanceWindows => Set<MaintenanceWindow>();

    public DbSet<SmtpSettings> SmtpSettings => Set<SmtpSettings>();

    public DbSet<NotificationProfile> NotificationProfiles => Set<NotificationProfile>();

    public DbSet<ExternalProvider> ExternalProviders => Set<ExternalProvider>();

    /// <summary>
    /// A character that is not white space as .NET knows it (the editor's rule): PostgreSQL's [:space:] leaves out the
    /// no-break and typographic spaces, so they are named.
    /// </summary>
    /// <summary>A control character as .NET knows it (the editor's rule; PostgreSQL's [:cntrl:] depends on the locale).</summary>
    private const string ControlCharacter = @"[\x01-\x1f\x7f-\x9f]";

    private const string VisibleCharacter = @"[^[:space:]\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);

        builder.Entity<SetupToken>(token =>
        {
            token.ToTable("setup_tokens");
            token.Property(t => t.TokenHash).HasMaxLength(64);
            token.HasIndex(t => t.TokenHash).IsUnique();
        });

        builder.Entity<DataProtectionKey>().ToTable("data_protection_keys");

        builder.Entity<Mailbox>(mailbox =>
        {
            // The database refuses what this version could not read or schedule (a hand edit, a script): one such row
            // would otherwise break every query that lists mailboxes, the stale sweep and the Mailboxes page among them.
            mailbox.ToTable("mailboxes", table =>
            {
                table.HasCheckConstraint("CK_mailboxes_security", $"\"Security\" IN ({Names<ConnectionSecurity>()})");
                table.HasCheckConstraint("CK_mailboxes_after_import", $"\"AfterImport\" IN ({Names<AfterImport>()})");
                table.HasCheckConstraint(
                    "CK_mailboxes_poll_interval", $"\"PollIntervalMinutes\" BETWEEN 1 AND {MailboxRules.MaxPollIntervalMinutes}");
                // And what the editor refuses and a check could only fail on, again and again.
                table.HasCheckConstraint("CK_mailboxes_port", "\"ServerPort\" BETWEEN 1 AND 65535");
                table.HasCheckConstraint(
                    "CK_mailboxes_message_size", $"\"MaxMessageSizeKilobytes\" BETWEEN 1 AND {MailboxRules.MaxMessageSizeLimitKilobytes}");
                table.HasCheckConstraint("CK_mailboxes_folder", $"\"Folder\" ~ '{VisibleCharacter}' AND \"Folder\" !~ '{ControlCharacter}'");
                table.HasCheckConstraint(
                    "CK_mailboxes_move_to_folder",
                    $"\"AfterImport\" <> '{AfterImport.MoveToFolder}' OR (coalesce(\"MoveToFolder\", '') ~ '{VisibleCharacter}' AND \"MoveToFolder\" !~ '{ControlCharacter}')");
            });
            mailbox.Property(m => m.DisplayName).HasMaxLength(200);
            mailbox.Property(m => m.ServerName).HasMaxLength(253);
            mailbox.Property(m => m.LoginUsername).HasMaxLength(320);
            mailbox.Property(m => m.Folder).HasMaxLength(500);
            mailbox.Property(m => m.MoveToFolder).HasMaxLength(500);
            mailbox.Property(m => m.Security).HasConversion<string>().HasMaxLength(20);
            mailbox.Property(m => m.AfterImport).HasConversion<string>().HasMaxLength(20);
            mailbox.Property(m => m.Version).IsRowVersion();
            mailbox.HasIndex(m => m.DisplayName);
        });

        builder.Entity<MailboxStatus>(status =>
        {
            status.ToTable("mailbox_status");
            status.HasKey(s => s.MailboxId);
            status.HasOne<Mailbox>().WithOne().HasForeignKey<MailboxStatus>(s => s.MailboxId).OnDelete(DeleteBehavior.Cascade);
            status.Property(s => s.LastOutcome).HasConversion<string>().HasMaxLength(20);
            status.Property(s => s.LastStage).HasConversion<string>().HasMaxLength(20);
            status.Property(s => s.LastErrorKind).HasConversion<string>().HasMaxLength(40);
            status.Property(s => s.CertificateIssuer).HasMaxLength(1000);
            status.Property(s => s.CertificateSubject).HasMaxLength(1000);
        });

        builder.Entity<MailboxCheck>(check =>
        {
            check.ToTable("mailbox_checks");
            check.HasOne<Mailbox>().WithMany().HasForeignKey(c => c.MailboxId).OnDelete(DeleteBehavior.Cascade);
            check.Property(c => c.StageReached).HasConversion<string>().HasMaxLength(20);
            check.Property(c => c.Outcome).HasConversion<string>().HasMaxLength(20);
            check.Property(c => c.ErrorKind).HasConversion<string>().HasMaxLength(40);
            check.Property(c => c.RunBy).HasMaxLength(300);
            check.HasIndex(c => new { c.MailboxId, c.StartedAt });
            // Retention deletes the oldest checks of all mailboxes in batches.
            check.HasIndex(c => c.StartedAt, "IX_mailbox_checks_started");
            // The sweep for checks left running reads only these, a handful at most.
            check.HasIndex(c => c.StartedAt).HasFilter("\"Outcome\" IS NULL").HasDatabaseName("IX_mailbox_checks_running");
        });

        builder.Entity<Scheduling.CheckSchedule>(schedule =>
        {
            schedule.ToTable("check_schedule");
            schedule.HasKey(s => s.MailboxId);
            schedule.HasOne<Mailbox>().WithOne().HasForeignKey<Scheduling.CheckSchedule>(s => s.MailboxId).OnDelete(DeleteBehavior.Cascade);
            schedule.Property(s => s.LeasedBy).HasMaxLength(300);
            // The dispatchers' claim reads the earliest due mailboxes; disabled ones (no due time) are not in it.
            schedule.HasIndex(s => s.DueAt).HasFilter("\"DueAt\" IS NOT NULL").HasDatabaseName("IX_check_schedule_due");
        });

        builder.Entity<ImportedMessage>(message =>
        {
            message.ToTable("imported_messages");
            message.HasOne<Mailbox>().WithMany().HasForeignKey(m => m.MailboxId).OnDelete(DeleteBehavior.Cascade);
            message.HasIndex(m => new { m.MailboxId, m.UidValidity, m.Uid }).IsUnique();
            message.HasIndex(m => new { m.MailboxId, m.ServerChangePending }).HasFilter("\"ServerChangePending\"");
            message.HasIndex(m => new { m.MailboxId, m.MessageId });
            // Retention empties the bodies of old messages (the rows stay, so nothing is imported twice).
            message.HasIndex(m => m.ImportedAt).HasFilter("octet_length(\"RawMime\") > 0").HasDatabaseName("IX_imported_messages_with_body");
            message.Property(m => m.MessageId).HasMaxLength(1000);
            message.Property(m => m.From).HasMaxLength(2000);
            message.Property(m => m.To).HasMaxLength(4000);
            message.Property(m => m.Subject).HasMaxLength(2000);
        });

        builder.Entity<ImportFailure>(failure =>
        {
            failure.ToTable("import_failures");
            failure.HasKey(f => new { f.MailboxId, f.UidValidity, f.Uid });
            failure.HasOne<Mailbox>().WithMany().HasForeignKey(f => f.MailboxId).OnDelete(DeleteBehavior.Cascade);
            failure.Property(f => f.LastError).HasMaxLength(2000);
        });

        builder.Entity<ImapEvent>(imapEvent =>
        {
            imapEvent.ToTable("imap_events");
            imapEvent.HasOne<Mailbox>().WithMany().HasForeignKey(e => e.MailboxId).OnDelete(DeleteBehavior.SetNull);
            imapEvent.Property(e => e.Type).HasConversion<string>().HasMaxLength(30);
            imapEvent.Property(e => e.Stage).HasConversion<string>().HasMaxLength(20);
            imapEvent.Property(e => e.ErrorKind).HasConversion<string>().HasMaxLength(40);
            imapEvent.Property(e => e.MailboxName).HasMaxLength(200);
            imapEvent.Property(e => e.ServerName).HasMaxLength(253);
            imapEvent.Property(e => e.LoginUsername).HasMaxLength(320);
            // Named: an unnamed index on the same column would be merged into the partial one below and never created.
            imapEvent.HasIndex(e => e.OccurredAt, "IX_imap_events_OccurredAt");
            imapEvent.HasIndex(e => new { e.MailboxId, e.OccurredAt });
            imapEvent.HasIndex(e => new { e.Type, e.OccurredAt });
            imapEvent.HasIndex(e => e.OccurredAt).HasFilter("\"DispatchedAt\" IS NULL").HasDatabaseName("IX_imap_events_undispatched");
            imapEvent.HasIndex(e => new { e.IncidentId, e.OccurredAt });
            imapEvent.Property(e => e.CertificateIssuer).HasMaxLength(1000);
        });

        builder.Entity<Incident>(incident =>
        {
            incident.ToTable("incidents");
            incident.HasOne<Mailbox>().WithMany().HasForeignKey(i => i.MailboxId).OnDelete(DeleteBehavior.SetNull);
            incident.Property(i => i.Stage).HasConversion<string>().HasMaxLength(20);
            incident.Property(i => i.ErrorKind).HasConversion<string>().HasMaxLength(40);
            incident.Property(i => i.MailboxName).HasMaxLength(200);
            incident.Property(i => i.ServerName).HasMaxLength(253);
            incident.Property(i => i.LoginUsername).HasMaxLength(320);
            incident.Property(i => i.LastError).HasMaxLength(2000);
            incident.Property(i => i.AcknowledgedById).HasMaxLength(450);
            incident.Property(i => i.AcknowledgedBy).HasMaxLength(256);
            incident.Property(i => i.AcknowledgementNote).HasMaxLength(2000);
            incident.Ignore(i => i.IsOpen);
            incident.Ignore(i => i.IsAcknowledged);
            // One open incident per mailbox, whatever two instances try.
            incident.HasIndex(i => i.MailboxId).IsUnique().HasFilter("\"ClosedAt\" IS NULL").HasDatabaseName("IX_incidents_open_per_mailbox");
            incident.HasIndex(i => i.OpenedAt);
            incident.HasIndex(i => new { i.MailboxId, i.OpenedAt });
        });

        builder.Entity<IncidentChange>(change =>
        {
            change.ToTable("incident_changes");
            change.HasOne<Incident>().WithMany().HasForeignKey(c => c.IncidentId).OnDelete(DeleteBehavior.Cascade);
            change.Property(c => c.Kind).HasConversion<string>().HasMaxLength(20);
            change.Property(c => c.Stage).HasConversion<string>().HasMaxLength(20);
            change.Property(c => c.PreviousStage).HasConversion<string>().HasMaxLength(20);
            change.Property(c => c.ErrorKind).HasConversion<string>().HasMaxLength(40);
            change.Property(c => c.Message).HasMaxLength(2000);
            change.Property(c => c.UserName).HasMaxLength(256);
            change.HasIndex(c => new { c.IncidentId, c.At });
        });

        builder.Entity<IncidentNotification>(notification =>
        {
            notification.ToTable("incident_notifications");
            notification.HasKey(n => new { n.IncidentId, n.RuleId });
            notification.HasOne<Incident>().WithMany().HasForeignKey(n => n.IncidentId).OnDelete(DeleteBehavior.Cascade);
            notification.Property(n => n.RuleName).HasMaxLength(200);
            // The escalation sweep reads only the ones still due.
            notification.HasIndex(n => n.EscalateAt).HasFilter("\"EscalatedAt\" IS NULL AND \"EscalateAt\" IS NOT NULL").HasDatabaseName("IX_incident_notifications_due");
        });

        builder.Entity<NotificationGroup>(group =>
        {
            group.ToTable("notification_groups");
            group.Property(g => g.RuleName).HasMaxLength(200);
            group.Property(g => g.ServerName).HasMaxLength(253);
            group.Property(g => g.Stage).HasConversion<string>().HasMaxLength(20);
            group.HasIndex(g => new { g.RuleId, g.ServerName, g.ServerPort, g.Stage, g.Recovery }).IsUnique().HasFilter("\"SentAt\" IS NULL").HasDatabaseName("IX_notification_groups_gathering");
            group.HasIndex(g => g.SendAt).HasFilter("\"SentAt\" IS NULL").HasDatabaseName("IX_notification_groups_due");
        });

        builder.Entity<NotificationGroupMember>(member =>
        {
            member.ToTable("notification_group_members");
            member.HasKey(m => new { m.GroupId, m.EventId });
            member.HasOne<NotificationGroup>().WithMany().HasForeignKey(m => m.GroupId).OnDelete(DeleteBehavior.Cascade);
            member.Property(m => m.MailboxName).HasMaxLength(200);
            member.Property(m => m.LoginUsername).HasMaxLength(320);
            member.Property(m => m.ErrorMessage).HasMaxLength(2000);
        });

        builder.Entity<MaintenanceWindow>(window =>
        {
            window.ToTable("maintenance_windows");
            window.Property(w => w.Name).HasMaxLength(200);
            window.Property(w => w.Recurrence).HasConversion<string>().HasMaxLength(10);
            window.Property(w => w.Scope).HasConversion<string>().HasMaxLength(20);
            window.Property(w => w.Days).HasConversion<int>();
            window.Property(w => w.TimeZoneId).HasMaxLength(100);
            window.Property(w => w.ServerPattern).HasMaxLength(253);
            window.Property(w => w.CreatedBy).HasMaxLength(256);
            window.Property(w => w.Version).IsRowVersion();
        });

        builder.Entity<EventRule>(rule =>
        {
            rule.ToTable("event_rules");
            rule.Property(r => r.Name).HasMaxLength(200);
            rule.Property(r => r.EventType).HasConversion<string>().HasMaxLength(30);
            rule.Property(r => r.Ssl).HasConversion<string>().HasMaxLength(10);
            rule.Property(r => r.DaysOfWeek).HasConversion<int>();
            rule.Property(r => r.TimeZoneId).HasMaxLength(100);
            rule.Property(r => r.ServerName).HasMaxLength(253);
            rule.Property(r => r.LoginUsername).HasMaxLength(320);
            rule.Property(r => r.OwnerId).HasMaxLength(450);
            rule.Property(r => r.Version).IsRowVersion();
            rule.Ignore(r => r.HasTimeOfDay);
            // The actions live with their rule (read, changed and versioned as one), as jsonb.
            rule.Property(r => r.Actions).HasColumnType("jsonb")
                .HasConversion(ActionJson.ListConverter, ActionJson.ListComparer);
            rule.Property(r => r.EscalationActions).HasColumnType("jsonb")
                .HasConversion(ActionJson.ListConverter, ActionJson.ListComparer)
                .HasDefaultValueSql("'[]'::jsonb");
            rule.Property(r => r.Notify).HasConversion<string>().HasMaxLength(20).HasDefaultValue(NotifyMode.EveryEvent).HasSentinel((NotifyMode)(-1));
            rule.Property(r => r.FireAfterFailures).HasDefaultValue(1).HasSentinel(0);
            rule.HasIndex(r => r.Name);
        });

        builder.Entity<EventRuleMatch>(match =>
        {
            match.ToTable("event_rule_matches");
            match.HasKey(m => new { m.EventId, m.RuleId });
            match.HasOne<ImapEvent>().WithMany().HasForeignKey(m => m.EventId).OnDelete(DeleteBehavior.Cascade);
            match.Property(m => m.RuleName).HasMaxLength(200);
            match.Property(m => m.Held).HasConversion<string>().HasMaxLength(30);
            match.HasIndex(m => m.RuleId);
        });

        builder.Entity<RuleAuditEntry>(entry =>
        {
            entry.ToTable("rule_audit");
            entry.Property(e => e.Change).HasConversion<string>().HasMaxLength(20);
            entry.Property(e => e.RuleName).HasMaxLength(200);
            entry.Property(e => e.UserId).HasMaxLength(450);
            entry.Property(e => e.UserEmail).HasMaxLength(256);
            entry.Property(e => e.Before).HasColumnType("jsonb");
            entry.Property(e => e.After).HasColumnType("jsonb");
            entry.HasIndex(e => new { e.RuleId, e.At });
        });

        builder.Entity<RuleSetVersion>(version =>
        {
            version.ToTable("rule_set_version");
            version.Property(v => v.Id).ValueGeneratedNever();
            version.HasData(new RuleSetVersion { Id = 1, Version = 0 });
        });

        builder.Entity<Delivery>(delivery =>
        {
            delivery.ToTable("deliveries");
            delivery.HasOne<ImapEvent>().WithMany().HasForeignKey(d => d.EventId).OnDelete(DeleteBehavior.Cascade);
            delivery.Property(d => d.RuleName).HasMaxLength(200);
            delivery.Property(d => d.OwnerId).HasMaxLength(450);
            delivery.Property(d => d.Kind).HasConversion<string>().HasMaxLength(30);
            delivery.Property(d => d.Status).HasConversion<string>().HasMaxLength(20);
            delivery.Property(d => d.Trigger).HasConversion<string>().HasMaxLength(20);
            delivery.Property(d => d.Action).HasColumnType("jsonb").HasConversion(ActionJson.Converter, ActionJson.Comparer);
            delivery.Property(d => d.LastError).HasMaxLength(2000);
            delivery.Property(d => d.JobId).HasMaxLength(100);
            delivery.Property(d => d.ClaimedBy).HasMaxLength(300);
            delivery.HasIndex(d => d.EventId);
            delivery.HasIndex(d => d.CreatedAt, "IX_deliveries_CreatedAt");
            delivery.HasIndex(d => d.CreatedAt).HasFilter("\"Status\" = 'Pending' AND \"EnqueuedAt\" IS NULL").HasDatabaseName("IX_deliveries_unqueued");
        });

        builder.Entity<DeliveryAttempt>(attempt =>
        {
            attempt.ToTable("delivery_attempts");
            attempt.HasOne<Delivery>().WithMany().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.Cascade);
            attempt.Property(a => a.Error).HasMaxLength(2000);
            attempt.HasIndex(a => new { a.DeliveryId, a.Number });
        });

        builder.Entity<SmtpSettings>(smtp =>
        {
            smtp.ToTable("smtp_settings");
            smtp.Property(s => s.Id).ValueGeneratedNever();
            smtp.Property(s => s.Host).HasMaxLength(253);
            smtp.Property(s => s.Security).HasConversion<string>().HasMaxLength(20);
            smtp.Property(s => s.Username).HasMaxLength(320);
            smtp.Property(s => s.FromAddress).HasMaxLength(254);
            smtp.Property(s => s.FromName).HasMaxLength(200);
            smtp.Property(s => s.UpdatedBy).HasMaxLength(256);
            smtp.Ignore(s => s.IsConfigured);
        });

        builder.Entity<NotificationProfile>(profile =>
        {
            profile.ToTable("notification_profiles");
            profile.HasKey(p => p.UserId);
            profile.HasOne<ApplicationUser>().WithOne().HasForeignKey<NotificationProfile>(p => p.UserId).OnDelete(DeleteBehavior.Cascade);
            profile.Property(p => p.EmailAddresses).HasMaxLength(20_000);
            profile.Property(p => p.SmsAddresses).HasMaxLength(20_000);
            profile.Ignore(p => p.IsEmpty);
        });

        builder.Entity<ExternalProvider>(provider =>
        {
            provider.ToTable("external_providers");
            provider.Property(p => p.Name).HasMaxLength(100);
            provider.HasIndex(p => p.Name).IsUnique();
            provider.Property(p => p.Endpoint).HasMaxLength(2000);
            provider.Property(p => p.Version).IsRowVersion();
        });

        builder.Entity<ActionThrottle>(throttle =>
        {
            throttle.ToTable("action_throttles");
            throttle.HasKey(t => t.ActionId);
            throttle.Property(t => t.ActionId).ValueGeneratedNever();
        });
    }

    private static string Names<TEnum>() where TEnum : struct, Enum => string.Join(", ", Enum.GetNames<TEnum>().Select(name => $"'{name}'"));
}
