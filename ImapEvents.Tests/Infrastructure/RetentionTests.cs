using Hangfire;
using Hangfire.Storage;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Retention;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Tests.TestSupport;
using MailKit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>
/// The hourly purge against PostgreSQL, with the default 90 days and batches of 3 rows: what is older goes, what is younger
/// or still in use stays, message rows stay without their bodies, and Hangfire keeps finished jobs as long. Each test counts
/// only its own rows (the tests of the class share one database).
/// </summary>
public sealed class RetentionTests(RetentionFixture fixture) : IClassFixture<RetentionFixture>
{
    private static DateTimeOffset Old => DateTimeOffset.UtcNow.AddDays(-100);

    private static DateTimeOffset Recent => DateTimeOffset.UtcNow.AddDays(-10);

    [Fact]
    public async Task HistoryOlderThanTheRetention_IsPurged_AndYoungerHistoryKept()
    {
        var mailboxId = await AddMailboxAsync();
        var old = await AddHistoryAsync(mailboxId, Old);
        var recent = await AddHistoryAsync(mailboxId, Recent);

        var purged = await PurgeAsync();

        await using var db = await DbAsync();
        Assert.False(await db.MailboxChecks.AnyAsync(c => c.Id == old.CheckId));
        Assert.False(await db.Events.AnyAsync(e => e.Id == old.EventId || e.Id == old.IncidentEventId));
        Assert.False(await db.RuleMatches.AnyAsync(m => m.EventId == old.EventId));
        Assert.False(await db.Deliveries.AnyAsync(d => d.Id == old.DeliveryId));
        Assert.False(await db.DeliveryAttempts.AnyAsync(a => a.DeliveryId == old.DeliveryId));
        Assert.False(await db.Incidents.AnyAsync(i => i.Id == old.IncidentId));
        Assert.False(await db.IncidentChanges.AnyAsync(c => c.IncidentId == old.IncidentId));
        Assert.False(await db.IncidentNotifications.AnyAsync(n => n.IncidentId == old.IncidentId));
        Assert.False(await db.NotificationGroups.AnyAsync(g => g.Id == old.GroupId));
        Assert.False(await db.NotificationGroupMembers.AnyAsync(m => m.GroupId == old.GroupId));
        var emptied = await db.ImportedMessages.AsNoTracking().SingleAsync(m => m.Id == old.MessageId);
        Assert.Empty(emptied.RawMime);
        Assert.Equal(MessageBytes.Length, emptied.Size);
        Assert.Equal("Old news", emptied.Subject);

        Assert.True(await db.MailboxChecks.AnyAsync(c => c.Id == recent.CheckId));
        Assert.Equal(2, await db.Events.CountAsync(e => e.Id == recent.EventId || e.Id == recent.IncidentEventId));
        Assert.True(await db.RuleMatches.AnyAsync(m => m.EventId == recent.EventId));
        Assert.True(await db.Deliveries.AnyAsync(d => d.Id == recent.DeliveryId));
        Assert.True(await db.DeliveryAttempts.AnyAsync(a => a.DeliveryId == recent.DeliveryId));
        Assert.True(await db.Incidents.AnyAsync(i => i.Id == recent.IncidentId));
        Assert.True(await db.IncidentChanges.AnyAsync(c => c.IncidentId == recent.IncidentId));
        Assert.True(await db.IncidentNotifications.AnyAsync(n => n.IncidentId == recent.IncidentId));
        Assert.True(await db.NotificationGroupMembers.AnyAsync(m => m.GroupId == recent.GroupId));
        Assert.Equal(MessageBytes, (await db.ImportedMessages.AsNoTracking().SingleAsync(m => m.Id == recent.MessageId)).RawMime);

        Assert.True(purged.Events >= 2 && purged.Deliveries >= 1 && purged.Attempts >= 1 && purged.Checks >= 1
            && purged.Incidents >= 1 && purged.NotificationGroups >= 1 && purged.MessageBodies >= 1);
        Assert.Contains(fixture.App.Logs.Lines, line =>
            line.StartsWith($"Information {typeof(RetentionJob).FullName}: Purged what was older than 90 days", StringComparison.Ordinal)
            && line.Contains($": {purged.Events} event(s), {purged.Deliveries} delivery(ies)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhatIsStillInUse_IsKept_HoweverOld_UntilItIsNot()
    {
        var mailboxId = await AddMailboxAsync();

        // An incident open for 100 days: its events (an escalation reads them) and their checks stay; a delivery that
        // went out 100 days ago does not.
        var (open, openTimeline) = NewIncident(mailboxId, Old, closedAt: null);
        var openCheck = Check(mailboxId, Old);
        var openEvent = Event(mailboxId, Old, checkId: openCheck.Id, incidentId: open.Id);
        var sent = Delivery(openEvent.Id, Old, DeliveryStatus.Delivered);

        // Rules never evaluated (the pending-event sweep still owes them), and a delivery still being retried, whose
        // closed incident waits for it too.
        var undispatched = Event(mailboxId, Old, dispatched: false);
        var (closed, closedTimeline) = NewIncident(mailboxId, Old.AddHours(-1), closedAt: Old);
        var retrying = Event(mailboxId, Old, incidentId: closed.Id);
        var unfinished = Delivery(retrying.Id, Old, DeliveryStatus.Retrying);

        // A group whose notification has not gone out reads its events when it does.
        var grouped = Event(mailboxId, Old);
        var (gathering, member) = Group(grouped, sentAt: null);

        // A check still running (InterruptedCheckSweep closes it once it is known to be gone).
        var running = Check(mailboxId, Old, outcome: null);

        await using (var setup = await DbAsync())
        {
            setup.AddRange(open, openCheck, openEvent, sent, Attempt(sent.Id, Old));
            setup.AddRange(undispatched, closed, retrying, unfinished, Attempt(unfinished.Id, Old));
            setup.AddRange(grouped, gathering, member, running);
            setup.AddRange(openTimeline.Concat(closedTimeline));
            await setup.SaveChangesAsync();
        }

        await PurgeAsync();

        await using var db = await DbAsync();
        Assert.True(await db.Incidents.AnyAsync(i => i.Id == open.Id));
        Assert.True(await db.Events.AnyAsync(e => e.Id == openEvent.Id));
        Assert.True(await db.MailboxChecks.AnyAsync(c => c.Id == openCheck.Id));
        Assert.False(await db.Deliveries.AnyAsync(d => d.Id == sent.Id));
        Assert.False(await db.DeliveryAttempts.AnyAsync(a => a.DeliveryId == sent.Id));
        Assert.True(await db.Events.AnyAsync(e => e.Id == undispatched.Id));
        Assert.True(await db.Events.AnyAsync(e => e.Id == retrying.Id));
        Assert.True(await db.Deliveries.AnyAsync(d => d.Id == unfinished.Id));
        Assert.True(await db.DeliveryAttempts.AnyAsync(a => a.DeliveryId == unfinished.Id));
        Assert.True(await db.Incidents.AnyAsync(i => i.Id == closed.Id));
        Assert.True(await db.Events.AnyAsync(e => e.Id == grouped.Id));
        Assert.True(await db.NotificationGroups.AnyAsync(g => g.Id == gathering.Id));
        Assert.True(await db.MailboxChecks.AnyAsync(c => c.Id == running.Id));

        // Once the delivery has had its last attempt, the event, the delivery and the incident go at the next run.
        await db.Deliveries.Where(d => d.Id == unfinished.Id).ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, DeliveryStatus.Failed));
        await PurgeAsync();

        Assert.False(await db.Events.AnyAsync(e => e.Id == retrying.Id));
        Assert.False(await db.Deliveries.AnyAsync(d => d.Id == unfinished.Id));
        Assert.False(await db.Incidents.AnyAsync(i => i.Id == closed.Id));
        Assert.True(await db.Events.AnyAsync(e => e.Id == openEvent.Id));
    }

    [Fact]
    public async Task MoreOldRowsThanABatchHolds_AreAllPurged_InOneRun()
    {
        var mailboxId = await AddMailboxAsync();
        const int rows = (RetentionFixture.BatchSize * 3) + 1;
        var histories = new List<History>();
        for (var i = 0; i < rows; i++)
        {
            histories.Add(await AddHistoryAsync(mailboxId, Old.AddMinutes(i)));
        }

        // More than a batch of events kept at the old end (their rules were never evaluated), then more than two batches
        // raised at one instant (as a sweep does), so batches end in the middle of them.
        var instant = Old.AddDays(-1);
        var kept = Enumerable.Range(0, RetentionFixture.BatchSize + 1).Select(_ => Event(mailboxId, instant.AddDays(-1), dispatched: false)).ToList();
        var simultaneous = Enumerable.Range(0, (2 * RetentionFixture.BatchSize) + 1).Select(_ => Event(mailboxId, instant, type: ImapEventType.MailboxStale)).ToList();
        await using (var setup = await DbAsync())
        {
            setup.Events.AddRange(kept);
            setup.Events.AddRange(simultaneous);
            await setup.SaveChangesAsync();
        }

        var purged = await PurgeAsync();

        await using var db = await DbAsync();
        Assert.False(await db.Events.AnyAsync(e => simultaneous.Select(s => s.Id).Contains(e.Id)));
        Assert.Equal(kept.Count, await db.Events.CountAsync(e => kept.Select(k => k.Id).Contains(e.Id)));
        var events = histories.SelectMany(h => new[] { h.EventId, h.IncidentEventId }).ToList();
        Assert.False(await db.Events.AnyAsync(e => events.Contains(e.Id)));
        Assert.False(await db.Deliveries.AnyAsync(d => histories.Select(h => h.DeliveryId).Contains(d.Id)));
        Assert.False(await db.MailboxChecks.AnyAsync(c => c.MailboxId == mailboxId));
        Assert.False(await db.Incidents.AnyAsync(i => i.MailboxId == mailboxId));
        Assert.False(await db.NotificationGroups.AnyAsync(g => histories.Select(h => h.GroupId).Contains(g.Id)));
        Assert.False(await db.ImportedMessages.AnyAsync(m => m.MailboxId == mailboxId && m.RawMime.Length > 0));
        Assert.Equal(rows, await db.ImportedMessages.CountAsync(m => m.MailboxId == mailboxId));
        Assert.True(purged.Events >= (2 * rows) + simultaneous.Count && purged.Checks >= rows && purged.Incidents >= rows && purged.MessageBodies >= rows,
            $"{purged.Events} events, {purged.Checks} checks, {purged.Incidents} incidents, {purged.MessageBodies} bodies");
    }

    [Fact]
    public async Task AMessageImportedBeforeTheCutoff_KeepsItsRowWithoutItsBody_AndIsNeverImportedAgain()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        await fixture.Dovecot.AppendAsync(user, password, "INBOX", DovecotServer.Message("Imported long ago"));
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password));
        var first = await fixture.CheckAsync(mailboxId);
        Assert.Equal(1, first.Result!.Imported);
        var imported = Assert.Single(await fixture.ImportedAsync(mailboxId));
        await using (var db = await DbAsync())
        {
            await db.ImportedMessages.Where(m => m.MailboxId == mailboxId)
                .ExecuteUpdateAsync(u => u.SetProperty(m => m.ImportedAt, Old));
        }

        await PurgeAsync();

        var emptied = Assert.Single(await fixture.ImportedAsync(mailboxId));
        Assert.Empty(emptied.RawMime);
        Assert.Equal((imported.UidValidity, imported.Uid, imported.MessageId, imported.Size), (emptied.UidValidity, emptied.Uid, emptied.MessageId, emptied.Size));

        // Marked unread on the server (in webmail, say): the next check finds it again, and its row says it was imported.
        using (var client = await fixture.Dovecot.ConnectAsync(user, password))
        {
            await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await client.Inbox.StoreAsync(new UniqueId((uint)imported.Uid), new StoreFlagsRequest(StoreAction.Remove, MessageFlags.Seen) { Silent = true });
        }

        var again = await fixture.CheckAsync(mailboxId);
        Assert.True(again.Result!.Succeeded, again.Result.Failure?.Message);
        Assert.Equal(0, again.Result.Imported);
        Assert.Empty(Assert.Single(await fixture.ImportedAsync(mailboxId)).RawMime);
    }

    [Fact]
    public void ThePurge_IsScheduledEveryHour()
    {
        using var connection = fixture.Service<JobStorage>().GetConnection();
        var job = Assert.Single(connection.GetRecurringJobs(), j => j.Id == RetentionJob.RecurringJobId);
        Assert.Equal(Cron.Hourly(), job.Cron);
    }

    [Fact]
    public void FinishedJobs_ExpireFromHangfireAfterTheRetention_RunsOfRecurringJobsAfterADay()
    {
        var storage = fixture.Service<JobStorage>();
        Assert.Equal(TimeSpan.FromDays(90), storage.JobExpirationTimeout);
        var jobs = fixture.Service<IBackgroundJobClient>();

        // A one-off job (a delivery, Check now) is kept as long as the records that link to it.
        var oneOff = jobs.Enqueue<RetentionJob>(job => job.RunAsync(CancellationToken.None));
        Assert.True(jobs.Delete(oneOff));
        AssertAbout(DateTime.UtcNow.AddDays(90), storage.GetMonitoringApi().JobDetails(oneOff).ExpireAt);

        // A run of a recurring job (a scheduled check, a sweep) keeps Hangfire's day.
        var run = fixture.Service<IRecurringJobManagerV2>().TriggerJob(RetentionJob.RecurringJobId);
        Assert.NotNull(run);
        Assert.True(jobs.Delete(run));
        AssertAbout(DateTime.UtcNow.Add(RecurringRunHistory.KeptFor), storage.GetMonitoringApi().JobDetails(run).ExpireAt);
    }

    [Fact]
    public Task ARetentionOfNoDays_IsRefusedAtStart_InOneSentence() =>
        AppProcess.AssertRefusedAtStartAsync(
            fixture.ConnectionString, new Dictionary<string, string> { ["Retention__Days"] = "0" }, "Retention__Days must be between 1 and 36500.");

    private static readonly byte[] MessageBytes = "Subject: Old news\r\n\r\nHello.\r\n"u8.ToArray();

    /// <summary>One of each kind of record, all at one time.</summary>
    private sealed record History(Guid CheckId, Guid EventId, Guid DeliveryId, Guid IncidentId, Guid IncidentEventId, Guid GroupId, Guid MessageId);

    /// <summary>
    /// What a few minutes of a mailbox's life leave, at <paramref name="at"/>: a failed check with its event, the rule it
    /// matched and a delivery that went out; a recovered incident with its timeline, a rule's notification record and its
    /// event, sent in a group; an imported message.
    /// </summary>
    private async Task<History> AddHistoryAsync(Guid mailboxId, DateTimeOffset at)
    {
        await using var db = await DbAsync();
        var check = Check(mailboxId, at);
        var failure = Event(mailboxId, check.FinishedAt!.Value, checkId: check.Id);
        var delivery = Delivery(failure.Id, failure.OccurredAt, DeliveryStatus.Delivered);
        db.AddRange(check, failure, Match(failure.Id), delivery, Attempt(delivery.Id, failure.OccurredAt));

        var (incident, timeline) = NewIncident(mailboxId, at.AddMinutes(-5), closedAt: at);
        var notification = new IncidentNotification
        {
            IncidentId = incident.Id, RuleId = Guid.NewGuid(), RuleName = "Page on-call", FirstNotifiedAt = at.AddMinutes(-5), LastNotifiedAt = at.AddMinutes(-5),
            Notifications = 1,
        };
        var incidentEvent = Event(mailboxId, at.AddMinutes(-5), incidentId: incident.Id);
        var (group, member) = Group(incidentEvent, sentAt: at.AddMinutes(-4));
        db.AddRange(incident, notification, incidentEvent, group, member);
        db.AddRange(timeline);

        var message = new ImportedMessage
        {
            Id = Guid.NewGuid(), MailboxId = mailboxId, UidValidity = 1, Uid = Random.Shared.NextInt64(1, uint.MaxValue), MessageId = $"<{Guid.NewGuid():N}@example.com>",
            Subject = "Old news", Size = MessageBytes.Length, RawMime = MessageBytes, ImportedAt = at,
        };
        db.Add(message);
        await db.SaveChangesAsync();
        return new History(check.Id, failure.Id, delivery.Id, incident.Id, incidentEvent.Id, group.Id, message.Id);
    }

    private async Task<PurgedRecords> PurgeAsync() =>
        await fixture.Service<RetentionJob>().RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

    private async Task<AppDbContext> DbAsync() => await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();

    private async Task<Guid> AddMailboxAsync()
    {
        await using var db = await DbAsync();
        var mailbox = new Mailbox
        {
            Id = Guid.NewGuid(), DisplayName = $"Retention {Guid.NewGuid():N}"[..30], ServerName = "imap.example.com", LoginUsername = "user@example.com",
            Enabled = false, CreatedAt = Old.AddDays(-1), UpdatedAt = Old.AddDays(-1),
        };
        db.Mailboxes.Add(mailbox);
        await db.SaveChangesAsync();
        return mailbox.Id;
    }

    private static MailboxCheck Check(Guid mailboxId, DateTimeOffset startedAt, CheckOutcome? outcome = CheckOutcome.Failed) => new()
    {
        Id = Guid.NewGuid(), MailboxId = mailboxId, StartedAt = startedAt, FinishedAt = outcome is null ? null : startedAt.AddSeconds(2), Outcome = outcome,
        StageReached = CheckStage.Authenticate, ErrorKind = outcome == CheckOutcome.Failed ? CheckErrorKind.CredentialsRejected : CheckErrorKind.None,
    };

    private static ImapEvent Event(
        Guid mailboxId, DateTimeOffset at, Guid? checkId = null, Guid? incidentId = null, bool dispatched = true, ImapEventType type = ImapEventType.LoginFailed) => new()
    {
        Id = Guid.NewGuid(), Type = type, OccurredAt = at, MailboxId = mailboxId, MailboxName = "Mailbox", ServerName = "imap.example.com",
        ServerPort = 993, LoginUsername = "user@example.com", Stage = CheckStage.Authenticate, ErrorKind = CheckErrorKind.CredentialsRejected,
        ErrorMessage = "Authentication failed.", CheckId = checkId, IncidentId = incidentId, DispatchedAt = dispatched ? at : null,
    };

    private static EventRuleMatch Match(Guid eventId) => new() { EventId = eventId, RuleId = Guid.NewGuid(), RuleName = "Page on-call" };

    private static Delivery Delivery(Guid eventId, DateTimeOffset at, DeliveryStatus status)
    {
        var action = RuleAction.Create(ActionKind.LogToFile);
        return new Delivery
        {
            Id = Guid.NewGuid(), EventId = eventId, RuleId = Guid.NewGuid(), RuleName = "Page on-call", OwnerId = "owner", ActionId = action.Id, Kind = action.Kind,
            Action = action, Status = status, Attempts = 1, CreatedAt = at,
        };
    }

    private static DeliveryAttempt Attempt(Guid deliveryId, DateTimeOffset at) => new()
    {
        Id = Guid.NewGuid(), DeliveryId = deliveryId, Number = 1, StartedAt = at, FinishedAt = at.AddSeconds(1), Succeeded = true, ResponseCode = 200,
    };

    /// <summary>An incident with its timeline: opened, and recovered unless <paramref name="closedAt"/> is null.</summary>
    private static (Incident Incident, IncidentChange[] Timeline) NewIncident(Guid mailboxId, DateTimeOffset openedAt, DateTimeOffset? closedAt)
    {
        var (incident, opened) = Incident.Open(
            mailboxId, "Mailbox", "imap.example.com", 993, "user@example.com", true, CheckStage.Authenticate, CheckErrorKind.CredentialsRejected,
            "Authentication failed.", openedAt);
        return (incident, closedAt is { } end ? [opened, incident.Recover(end)] : [opened]);
    }

    private static (NotificationGroup Group, NotificationGroupMember Member) Group(ImapEvent imapEvent, DateTimeOffset? sentAt)
    {
        var group = new NotificationGroup
        {
            Id = Guid.NewGuid(), RuleId = Guid.NewGuid(), RuleName = "Grouped", ServerName = $"{Guid.NewGuid():N}.example.com", ServerPort = 993,
            Stage = CheckStage.Authenticate, OpenedAt = imapEvent.OccurredAt, SendAt = imapEvent.OccurredAt.AddMinutes(1), SentAt = sentAt,
            FirstEventId = imapEvent.Id,
        };
        var member = new NotificationGroupMember
        {
            GroupId = group.Id, EventId = imapEvent.Id, IncidentId = imapEvent.IncidentId, MailboxName = imapEvent.MailboxName, OccurredAt = imapEvent.OccurredAt,
        };
        return (group, member);
    }

    /// <summary>Equal to the minute: Hangfire computes the expiry on its own clock.</summary>
    private static void AssertAbout(DateTime expected, DateTime? actual)
    {
        Assert.NotNull(actual);
        Assert.True(Math.Abs((actual.Value - expected).TotalMinutes) < 1, $"Expected about {expected:u}, got {actual:u}.");
    }
}
