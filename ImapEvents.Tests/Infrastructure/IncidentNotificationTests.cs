using ImapEvents.Core.Actions;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Maintenance;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>
/// Incidents against the real Dovecot and a real receiver: the four events stay one per failed check, and the
/// rule options decide how many of them become notifications.
/// </summary>
public sealed class IncidentNotificationTests(IncidentFixture fixture) : IClassFixture<IncidentFixture>
{
    [Fact]
    public async Task FireAfterThreeConsecutiveFailures_DeliversOnceAfterTheThird_AndCountsAgainInTheNextIncident()
    {
        var (mailbox, user, password) = await fixture.FailingLoginAsync();
        var rule = await fixture.SaveRuleAsync(r =>
        {
            r.LoginUsername = user;
            r.FireAfterFailures = 3;
            r.Notify = NotifyMode.OncePerIncident;
            r.Actions.Add(fixture.Webhook("/after-three"));
        });

        await fixture.CheckTimesAsync(mailbox, 2);
        Assert.Empty(await fixture.DeliveriesAsync(rule.Id));
        await fixture.CheckAsync(mailbox);
        await fixture.CheckTimesAsync(mailbox, 2);
        await fixture.DeliverAsync(rule.Id);

        var delivery = Assert.Single(await fixture.DeliveriesAsync(rule.Id));
        Assert.Equal(DeliveryStatus.Delivered, delivery.Status);
        var data = IncidentFixture.Data(Assert.Single(fixture.RequestsTo("/after-three")));
        Assert.Equal(3, data.GetProperty("incident").GetProperty("failedChecks").GetInt32());
        Assert.StartsWith("https://imapevents.example.org/incidents/", data.GetProperty("incident").GetProperty("url").GetString());
        await using (var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            // Every failed check is still its own event; the first two matched and waited.
            var matches = await db.RuleMatches.AsNoTracking().Where(m => m.RuleId == rule.Id).ToListAsync();
            Assert.Equal(5, matches.Count);
            Assert.Equal(2, matches.Count(m => m.Held == RuleMatchHold.WaitingForFailures));
            Assert.Equal(2, matches.Count(m => m.Held == RuleMatchHold.AlreadyNotified));
        }

        // Fixed, then broken again: a new incident, counted from one.
        await fixture.ChangeMailboxAsync(mailbox, password: password);
        await fixture.CheckAsync(mailbox);
        await fixture.ChangeMailboxAsync(mailbox, password: "wrong-again");
        await fixture.CheckTimesAsync(mailbox, 2);
        Assert.Single(await fixture.DeliveriesAsync(rule.Id));
    }

    [Fact]
    public async Task OncePerIncident_TenFailures_OneDelivery_ThenOneRecoveryDeliveryWithTheDowntime()
    {
        var (mailbox, user, password) = await fixture.FailingLoginAsync();
        var rule = await fixture.SaveRuleAsync(r =>
        {
            r.LoginUsername = user;
            r.Notify = NotifyMode.OncePerIncident;
            r.NotifyOnRecovery = true;
            r.Actions.Add(fixture.Webhook("/once"));
        });

        await fixture.CheckTimesAsync(mailbox, 10);
        Assert.Single(await fixture.DeliveriesAsync(rule.Id));
        await fixture.ChangeMailboxAsync(mailbox, password: password);
        var recovered = await fixture.CheckAsync(mailbox);
        await fixture.CheckAsync(mailbox);
        await fixture.DeliverAsync(rule.Id);

        var deliveries = await fixture.DeliveriesAsync(rule.Id);
        Assert.Equal([DeliveryTrigger.Event, DeliveryTrigger.Recovery], deliveries.Select(d => d.Trigger));
        Assert.All(deliveries, d => Assert.Equal(DeliveryStatus.Delivered, d.Status));
        var recovery = Assert.Single(recovered.Raised!);
        Assert.Equal(ImapEventType.Recovered, recovery.Type);
        Assert.Equal(recovery.Id, deliveries[1].EventId);

        var requests = fixture.RequestsTo("/once");
        Assert.Equal(2, requests.Count);
        var data = IncidentFixture.Data(requests[1]);
        Assert.Equal("IMAP Recovered", data.GetProperty("eventType").GetString());
        Assert.Equal("recovery", data.GetProperty("trigger").GetString());
        Assert.Equal("event", IncidentFixture.Data(requests[0]).GetProperty("trigger").GetString());
        Assert.Equal(10, data.GetProperty("incident").GetProperty("failedChecks").GetInt32());
        Assert.True(data.GetProperty("incident").GetProperty("downtimeSeconds").GetInt64() >= 0);
        Assert.Contains("Recovered after 10 failed checks", data.GetProperty("error").GetString());
        Assert.Equal("Authenticate", data.GetProperty("stage").GetString());

        var incident = await fixture.IncidentOfAsync(mailbox);
        Assert.False(incident.IsOpen);
        Assert.Equal(10, incident.FailedChecks);
        // PostgreSQL keeps microseconds.
        Assert.True((recovery.Downtime!.Value - (incident.ClosedAt - incident.OpenedAt)!.Value).Duration() < TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task OncePerIncident_NotifiesAgain_WhenTheFailingStageChangedSinceItsLastNotification()
    {
        var (mailbox, user, _) = await fixture.FailingLoginAsync();
        var rule = await fixture.SaveRuleAsync(r =>
        {
            r.LoginUsername = user;
            r.Notify = NotifyMode.OncePerIncident;
            r.Actions.Add(fixture.Webhook("/stage"));
        });

        await fixture.CheckTimesAsync(mailbox, 2);
        await fixture.ChangeMailboxAsync(mailbox, port: LoopbackTcpServer.ClosedPort());
        await fixture.CheckTimesAsync(mailbox, 2);
        Assert.Single(await fixture.DeliveriesAsync(rule.Id));
        await fixture.ChangeMailboxAsync(mailbox, port: fixture.Dovecot.Port);
        await fixture.CheckTimesAsync(mailbox, 2);

        Assert.Equal(2, (await fixture.DeliveriesAsync(rule.Id)).Count);
        var incident = await fixture.IncidentOfAsync(mailbox);
        Assert.True(incident.IsOpen);
        Assert.Equal(6, incident.FailedChecks);
        Assert.Equal(2, incident.StageChanges);
        var changes = await fixture.ChangesAsync(incident.Id);
        Assert.Equal(
            [IncidentChangeKind.Opened, IncidentChangeKind.StageChanged, IncidentChangeKind.StageChanged],
            changes.Select(c => c.Kind));
        Assert.Equal(CheckStage.Authenticate, changes[1].PreviousStage);
        Assert.Equal(CheckStage.Connect, changes[1].Stage);
    }

    [Fact]
    public async Task GroupByServer_FiveMailboxesOnOneClosedPort_AreOneDeliveryListingAllFive()
    {
        var port = LoopbackTcpServer.ClosedPort();
        var rule = await fixture.SaveRuleAsync(r =>
        {
            r.EventType = ImapEventType.ConnectionFailed;
            r.ServerPort = port;
            r.GroupByServer = true;
            r.Actions.Add(fixture.Webhook("/grouped"));
        });
        var mailboxes = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            mailboxes.Add(await fixture.CreateMailboxAsync($"group-{i}-{Guid.NewGuid():N}@example.com", "pw", port));
        }

        // All at once, as the scheduler runs them when the server goes down.
        await Task.WhenAll(mailboxes.Select(fixture.CheckAsync));
        Assert.Empty(await fixture.DeliveriesAsync(rule.Id));

        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var group = await db.NotificationGroups.AsNoTracking().SingleAsync(g => g.RuleId == rule.Id);
        Assert.Equal(5, await db.NotificationGroupMembers.CountAsync(m => m.GroupId == group.Id));
        // What the scheduled job does when the window ends; twice, as two instances might.
        var grouping = fixture.Service<NotificationGrouping>();
        await Task.WhenAll(grouping.SendAsync(group.Id, default), grouping.SendAsync(group.Id, default));
        await fixture.DeliverAsync(rule.Id);

        var delivery = Assert.Single(await fixture.DeliveriesAsync(rule.Id));
        Assert.Equal(group.Id, delivery.GroupId);
        var data = IncidentFixture.Data(Assert.Single(fixture.RequestsTo("/grouped")));
        var listed = data.GetProperty("mailboxes").EnumerateArray().Select(m => m.GetProperty("loginUsername").GetString()).Order().ToList();
        var expected = await db.Mailboxes.AsNoTracking().Where(m => mailboxes.Contains(m.Id)).Select(m => m.LoginUsername).ToListAsync();
        Assert.Equal(expected.Order(), listed);

        // The Events page says where the other mailboxes' firings went.
        var others = await fixture.Service<ImapEvents.Infrastructure.Events.EventQueries>()
            .ListWithRulesAsync(new ImapEvents.Infrastructure.Events.EventQuery(MailboxId: mailboxes[4]), default);
        var folded = Assert.Single(others.Items).MatchedRules.Single(m => m.RuleId == rule.Id);
        Assert.True(folded.Grouped);
        Assert.Null(folded.Held);

        // A failure after the group went out starts the next group.
        await fixture.CheckAsync(mailboxes[0]);
        Assert.Equal(2, await db.NotificationGroups.CountAsync(g => g.RuleId == rule.Id));
    }

    [Fact]
    public async Task GroupByServer_AMailboxThatRecoversBeforeTheGroupGoesOut_IsNeitherListedNorRecovered()
    {
        var (flapping, user, password) = await fixture.FailingLoginAsync();
        var (failing, otherUser, _) = await fixture.FailingLoginAsync();
        var rule = await fixture.SaveRuleAsync(r =>
        {
            r.LoginUsername = "*";
            r.ServerPort = fixture.Dovecot.Port;
            r.GroupByServer = true;
            r.NotifyOnRecovery = true;
            r.Actions.Add(fixture.Webhook("/flap"));
        });

        await fixture.CheckAsync(flapping);
        await fixture.CheckAsync(failing);
        await fixture.ChangeMailboxAsync(flapping, password: password);
        await fixture.CheckAsync(flapping);
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var group = await db.NotificationGroups.AsNoTracking().SingleAsync(g => g.RuleId == rule.Id && g.SentAt == null);
        await fixture.Service<NotificationGrouping>().SendAsync(group.Id, default);
        await fixture.DeliverAsync(rule.Id);
        // Disabled so that the other tests' failures on this server do not reach it.
        await db.Rules.Where(r => r.Id == rule.Id).ExecuteUpdateAsync(u => u.SetProperty(r => r.Enabled, false));
        fixture.Service<RuleSet>().MarkStale();

        var delivery = Assert.Single(await fixture.DeliveriesAsync(rule.Id));
        Assert.Equal(DeliveryTrigger.Event, delivery.Trigger);
        var listed = IncidentFixture.Data(Assert.Single(fixture.RequestsTo("/flap"))).GetProperty("mailboxes");
        Assert.Equal(otherUser, Assert.Single(listed.EnumerateArray()).GetProperty("loginUsername").GetString());
        Assert.NotEqual(user, otherUser);
    }

    [Fact]
    public async Task GroupByServer_WithRecovery_IsOneNotificationGoingDown_AndOneComingBack()
    {
        var port = LoopbackTcpServer.ClosedPort();
        var rule = await fixture.SaveRuleAsync(r =>
        {
            r.EventType = ImapEventType.ConnectionFailed;
            r.ServerPort = port;
            r.GroupByServer = true;
            r.Notify = NotifyMode.OncePerIncident;
            r.NotifyOnRecovery = true;
            r.Actions.Add(fixture.Webhook("/grouped-recovery"));
        });
        var mailboxes = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var (username, password) = await fixture.Dovecot.CreateAccountAsync();
            mailboxes.Add(await fixture.CreateMailboxAsync(username, password, port));
        }

        await Task.WhenAll(mailboxes.Select(fixture.CheckAsync));
        var grouping = fixture.Service<NotificationGrouping>();
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        await grouping.SendAsync((await db.NotificationGroups.AsNoTracking().SingleAsync(g => g.RuleId == rule.Id)).Id, default);
        // The server is back (the mailboxes point at it again).
        foreach (var mailbox in mailboxes)
        {
            await fixture.ChangeMailboxAsync(mailbox, port: fixture.Dovecot.Port);
        }

        await Task.WhenAll(mailboxes.Select(fixture.CheckAsync));
        var recoveries = await db.NotificationGroups.AsNoTracking().SingleAsync(g => g.RuleId == rule.Id && g.Recovery);
        await grouping.SendAsync(recoveries.Id, default);
        await fixture.DeliverAsync(rule.Id);

        var deliveries = await fixture.DeliveriesAsync(rule.Id);
        Assert.Equal([DeliveryTrigger.Event, DeliveryTrigger.Recovery], deliveries.Select(d => d.Trigger));
        var requests = fixture.RequestsTo("/grouped-recovery");
        Assert.Equal(2, requests.Count);
        var back = IncidentFixture.Data(requests[1]);
        Assert.Equal("recovery", back.GetProperty("trigger").GetString());
        Assert.Equal("IMAP Recovered", back.GetProperty("eventType").GetString());
        Assert.Equal(3, back.GetProperty("mailboxes").GetArrayLength());
    }

    [Fact]
    public async Task Acknowledged_StopsNotifications_UntilTheRecovery()
    {
        var (mailbox, user, password) = await fixture.FailingLoginAsync();
        var rule = await fixture.SaveRuleAsync(r =>
        {
            r.LoginUsername = user;
            r.NotifyOnRecovery = true;
            r.Actions.Add(fixture.Webhook("/ack"));
        });

        await fixture.CheckAsync(mailbox);
        Assert.Single(await fixture.DeliveriesAsync(rule.Id));
        var incident = await fixture.IncidentOfAsync(mailbox);
        await fixture.AcknowledgeAsync(incident.Id, "Password changed by the customer; asked for the new one.");
        await fixture.CheckTimesAsync(mailbox, 3);
        Assert.Single(await fixture.DeliveriesAsync(rule.Id));

        await fixture.ChangeMailboxAsync(mailbox, password: password);
        await fixture.CheckAsync(mailbox);
        var deliveries = await fixture.DeliveriesAsync(rule.Id);
        Assert.Equal([DeliveryTrigger.Event, DeliveryTrigger.Recovery], deliveries.Select(d => d.Trigger));

        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        Assert.Equal(3, await db.RuleMatches.CountAsync(m => m.RuleId == rule.Id && m.Held == RuleMatchHold.Acknowledged));
        // Acknowledgement belongs to the incident: the next one starts unacknowledged.
        await fixture.ChangeMailboxAsync(mailbox, password: "wrong-again");
        await fixture.CheckAsync(mailbox);
        Assert.Equal(3, (await fixture.DeliveriesAsync(rule.Id)).Count);
    }

    [Fact]
    public async Task MaintenanceWindow_HoldsEveryAction_ThenNotifiesOnce_WhenItEndsOnAMailboxStillFailing()
    {
        var (failing, user, _) = await fixture.FailingLoginAsync();
        var (recovering, otherUser, otherPassword) = await fixture.FailingLoginAsync();
        var rule = await fixture.SaveRuleAsync(r =>
        {
            r.LoginUsername = user;
            r.Notify = NotifyMode.OncePerIncident;
            r.NotifyOnRecovery = true;
            r.Actions.Add(fixture.Webhook("/maintenance"));
        });
        var otherRule = await fixture.SaveRuleAsync(r =>
        {
            r.LoginUsername = otherUser;
            r.Notify = NotifyMode.OncePerIncident;
            r.NotifyOnRecovery = true;
            r.Actions.Add(fixture.Webhook("/maintenance-recovered"));
        });
        var window = await AddWindowAsync(failing, recovering);

        await fixture.CheckTimesAsync(failing, 3);
        await fixture.CheckTimesAsync(recovering, 2);
        await fixture.ChangeMailboxAsync(recovering, password: otherPassword);
        await fixture.CheckAsync(recovering);
        var sweep = fixture.Service<IncidentSweep>();
        Assert.Equal(0, await sweep.ReleaseEndedMaintenanceAsync(default));
        Assert.Empty(await fixture.DeliveriesAsync(rule.Id));
        Assert.Empty(await fixture.DeliveriesAsync(otherRule.Id));

        await EndWindowAsync(window);
        await Task.WhenAll(sweep.ReleaseEndedMaintenanceAsync(default), sweep.ReleaseEndedMaintenanceAsync(default));
        await fixture.CheckTimesAsync(failing, 2);
        await fixture.DeliverAsync(rule.Id);

        // Only the mailbox still failing is notified, once; the one that recovered in maintenance is not.
        var delivery = Assert.Single(await fixture.DeliveriesAsync(rule.Id));
        Assert.Equal(DeliveryTrigger.MaintenanceEnded, delivery.Trigger);
        var data = IncidentFixture.Data(Assert.Single(fixture.RequestsTo("/maintenance")));
        Assert.Equal(user, data.GetProperty("loginUsername").GetString());
        Assert.Empty(await fixture.DeliveriesAsync(otherRule.Id));
        var changes = await fixture.ChangesAsync((await fixture.IncidentOfAsync(failing)).Id);
        Assert.Single(changes, c => c.Kind == IncidentChangeKind.MaintenanceEnded);
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        Assert.Equal(3, await db.Events.CountAsync(e => e.MailboxId == failing && e.InMaintenance));
        Assert.Equal(otherUser, (await db.Events.SingleAsync(e => e.MailboxId == recovering && e.Type == ImapEventType.Recovered)).LoginUsername);
    }

    [Fact]
    public async Task MaintenanceWindow_EndingBeforeTheNextFailedCheck_NotifiesThroughThatCheck_Once()
    {
        var (mailbox, user, _) = await fixture.FailingLoginAsync();
        var rule = await fixture.SaveRuleAsync(r =>
        {
            r.LoginUsername = user;
            r.Notify = NotifyMode.OncePerIncident;
            r.Actions.Add(fixture.Webhook("/maintenance-check"));
        });
        var window = await AddWindowAsync(mailbox);
        await fixture.CheckTimesAsync(mailbox, 2);
        await EndWindowAsync(window);

        await fixture.CheckAsync(mailbox);
        Assert.Equal(0, await fixture.Service<IncidentSweep>().ReleaseEndedMaintenanceAsync(default));
        await fixture.CheckAsync(mailbox);

        Assert.Equal(DeliveryTrigger.Event, Assert.Single(await fixture.DeliveriesAsync(rule.Id)).Trigger);
    }

    [Fact]
    public async Task MaintenanceEnding_OnAMailboxCheckedEveryMinute_IsLeftToItsNextCheck_SoAnEveryEventRuleAlertsOnce()
    {
        var (mailbox, user, _) = await fixture.FailingLoginAsync();
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        await db.Mailboxes.Where(m => m.Id == mailbox).ExecuteUpdateAsync(u => u.SetProperty(m => m.PollIntervalMinutes, 1));
        var rule = await fixture.SaveRuleAsync(r =>
        {
            r.LoginUsername = user;
            r.Actions.Add(fixture.Webhook("/maintenance-minutely"));
        });
        var window = await AddWindowAsync(mailbox);
        await fixture.CheckTimesAsync(mailbox, 2);
        await EndWindowAsync(window);

        // Its next check is due within the minute: the sweep leaves the end of maintenance to it.
        Assert.Equal(0, await fixture.Service<IncidentSweep>().ReleaseEndedMaintenanceAsync(default));
        await fixture.CheckAsync(mailbox);
        Assert.Equal(0, await fixture.Service<IncidentSweep>().ReleaseEndedMaintenanceAsync(default));

        Assert.Equal(DeliveryTrigger.Event, Assert.Single(await fixture.DeliveriesAsync(rule.Id)).Trigger);
    }

    [Fact]
    public async Task Escalation_RunsTheSecondListOnce_MMinutesAfterTheFirstNotification_WhileOpenAndUnacknowledged()
    {
        var (mailbox, user, _) = await fixture.FailingLoginAsync();
        var (acknowledged, ackUser, _) = await fixture.FailingLoginAsync();
        var rule = await fixture.SaveRuleAsync(r =>
        {
            r.LoginUsername = user;
            r.Notify = NotifyMode.OncePerIncident;
            r.EscalateAfterMinutes = 30;
            r.Actions.Add(fixture.Webhook("/first"));
            r.EscalationActions.Add(fixture.WebPage("/escalated"));
        });
        var ackRule = await fixture.SaveRuleAsync(r =>
        {
            r.LoginUsername = ackUser;
            r.EscalateAfterMinutes = 30;
            r.Actions.Add(fixture.Webhook("/first-ack"));
            r.EscalationActions.Add(fixture.WebPage("/escalated-ack"));
        });
        await fixture.CheckTimesAsync(mailbox, 2);
        await fixture.CheckAsync(acknowledged);
        await fixture.AcknowledgeAsync((await fixture.IncidentOfAsync(acknowledged)).Id, "On it.");

        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(29));
        var sweep = ActivatorUtilities.CreateInstance<IncidentSweep>(fixture.App.Services, clock);
        Assert.Equal(0, await sweep.EscalateDueAsync(default));
        clock.Advance(TimeSpan.FromMinutes(2));
        var escalated = await Task.WhenAll(sweep.EscalateDueAsync(default), sweep.EscalateDueAsync(default));
        Assert.Equal(0, await sweep.EscalateDueAsync(default));
        await fixture.DeliverAsync(rule.Id);

        Assert.Equal(1, escalated.Sum());
        var deliveries = await fixture.DeliveriesAsync(rule.Id);
        Assert.Equal([DeliveryTrigger.Event, DeliveryTrigger.Escalation], deliveries.Select(d => d.Trigger));
        Assert.Equal(ActionKind.CallWebPage, deliveries[1].Kind);
        Assert.Single(fixture.RequestsTo("/escalated"));
        Assert.Single(await fixture.DeliveriesAsync(ackRule.Id));
        Assert.Empty(fixture.RequestsTo("/escalated-ack"));
        Assert.Contains(await fixture.ChangesAsync((await fixture.IncidentOfAsync(mailbox)).Id), c => c.Kind == IncidentChangeKind.Escalated);
    }

    [Fact]
    public async Task AFailureEvaluatedOnlyAfterItsIncidentRecovered_IsHeldAsOver_NotAnnouncedLate()
    {
        var (mailbox, user, password) = await fixture.FailingLoginAsync();
        var rule = await fixture.SaveRuleAsync(r =>
        {
            r.LoginUsername = user;
            r.NotifyOnRecovery = true;
            r.Actions.Add(fixture.Webhook("/late"));
        });
        var failed = (await fixture.CheckAsync(mailbox)).Event!;
        await fixture.ChangeMailboxAsync(mailbox, password: password);
        await fixture.CheckAsync(mailbox);
        Assert.Equal(2, (await fixture.DeliveriesAsync(rule.Id)).Count);

        // What a failed first evaluation leaves for the pending-event sweep: a failure of the incident, not yet evaluated.
        var late = new ImapEvent
        {
            Id = Guid.NewGuid(), Type = failed.Type, OccurredAt = failed.OccurredAt, MailboxId = mailbox, MailboxName = failed.MailboxName,
            ServerName = failed.ServerName, ServerPort = failed.ServerPort, LoginUsername = user, Ssl = failed.Ssl, Stage = failed.Stage,
            ErrorKind = failed.ErrorKind, ErrorMessage = failed.ErrorMessage, IncidentId = failed.IncidentId, FailureNumber = 2,
        };
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        db.Events.Add(late);
        await db.SaveChangesAsync();
        await fixture.Service<ImapEvents.Infrastructure.Events.IImapEventDispatcher>().DispatchAsync(late, default);

        Assert.Equal(2, (await fixture.DeliveriesAsync(rule.Id)).Count);
        Assert.Equal(RuleMatchHold.IncidentOver, (await db.RuleMatches.AsNoTracking().SingleAsync(m => m.EventId == late.Id)).Held);
    }

    [Fact]
    public async Task AMailboxDisabledWhileItsCheckRuns_IsLeftWithNoOpenIncident_ThoughTheFailureIsRecorded()
    {
        await using var silent = new SilentListener();
        var mailbox = await fixture.CreateMailboxAsync($"disabled-{Guid.NewGuid():N}@example.com", "pw", silent.Port);

        // The check waits on the silent server for its 3-second step timeout; the mailbox is disabled meanwhile.
        var running = fixture.CheckAsync(mailbox);
        await Task.Delay(500);
        Assert.True(await fixture.Service<MailboxAdministration>().SetEnabledAsync(mailbox, false, default));
        var run = await running;
        var manual = await fixture.Service<MailboxCheckJob>().CheckAsync(mailbox, manual: true, default);

        Assert.Equal(ImapEventType.ConnectionFailed, run.Event?.Type);
        Assert.Equal(ImapEventType.ConnectionFailed, manual.Event?.Type);
        Assert.Null(run.Event!.IncidentId);
        Assert.Null(manual.Event!.IncidentId);
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        Assert.False(await db.Incidents.AnyAsync(i => i.MailboxId == mailbox && i.ClosedAt == null));
        Assert.Null((await db.MailboxStatuses.SingleAsync(s => s.MailboxId == mailbox)).OpenIncidentId);
    }

    [Fact]
    public async Task EveryEventRules_WithoutOptions_StillFireOnEveryFailedCheck()
    {
        var (mailbox, user, _) = await fixture.FailingLoginAsync();
        var rule = await fixture.SaveRuleAsync(r =>
        {
            r.LoginUsername = user;
            r.Actions.Add(fixture.Webhook("/every"));
        });

        await fixture.CheckTimesAsync(mailbox, 4);

        Assert.Equal(4, (await fixture.DeliveriesAsync(rule.Id)).Count);
    }

    private async Task<Guid> AddWindowAsync(params Guid[] mailboxes)
    {
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var window = new MaintenanceWindow
        {
            Id = Guid.NewGuid(),
            Name = "Server move",
            Recurrence = MaintenanceRecurrence.Once,
            StartsAt = DateTimeOffset.UtcNow.AddMinutes(-1),
            EndsAt = DateTimeOffset.UtcNow.AddHours(1),
            Scope = MaintenanceScope.ChosenMailboxes,
            MailboxIds = [.. mailboxes],
            CreatedBy = ImapEventsApp.AdminEmail,
            CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
        db.MaintenanceWindows.Add(window);
        await db.SaveChangesAsync();
        return window.Id;
    }

    private async Task EndWindowAsync(Guid windowId)
    {
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var now = DateTimeOffset.UtcNow;
        await db.MaintenanceWindows.Where(w => w.Id == windowId).ExecuteUpdateAsync(u => u.SetProperty(w => w.EndsAt, now));
    }
}

/// <summary>Two app instances on one database: each notification is decided once, by whichever instance gets there first.</summary>
public sealed class IncidentClusterTests(IncidentFixture fixture) : IClassFixture<IncidentFixture>, IAsyncLifetime
{
    private ImapEventsApp second = default!;

    public Task InitializeAsync()
    {
        second = new ImapEventsApp(fixture.ConnectionString, IncidentFixture.AppSettings);
        _ = second.Services;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await second.DisposeAsync();

    [Fact]
    public async Task TwoInstances_CheckingAndSweepingTogether_SendEachNotificationExactlyOnce()
    {
        var port = LoopbackTcpServer.ClosedPort();
        var grouped = await fixture.SaveRuleAsync(r =>
        {
            r.EventType = ImapEventType.ConnectionFailed;
            r.ServerPort = port;
            r.GroupByServer = true;
            r.Notify = NotifyMode.OncePerIncident;
            r.EscalateAfterMinutes = 10;
            r.Actions.Add(fixture.Webhook("/cluster"));
            r.EscalationActions.Add(fixture.WebPage("/cluster-escalated"));
        });
        var mailboxes = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            mailboxes.Add(await fixture.CreateMailboxAsync($"cluster-{i}-{Guid.NewGuid():N}@example.com", "pw", port));
        }

        var first = fixture.Service<MailboxCheckJob>();
        var other = second.Services.GetRequiredService<MailboxCheckJob>();
        // Every mailbox checked by both instances at once, three rounds: the mailbox lock lets one through at a time.
        for (var round = 0; round < 3; round++)
        {
            await Task.WhenAll(mailboxes.SelectMany(id => new[]
            {
                first.CheckAsync(id, manual: false, default),
                other.CheckAsync(id, manual: false, default),
            }));
        }

        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var group = await db.NotificationGroups.AsNoTracking().SingleAsync(g => g.RuleId == grouped.Id);
        Assert.Equal(6, await db.NotificationGroupMembers.CountAsync(m => m.GroupId == group.Id));
        Assert.Equal(6, await db.IncidentNotifications.CountAsync(n => n.RuleId == grouped.Id));
        await Task.WhenAll(
            fixture.Service<NotificationGrouping>().SendAsync(group.Id, default),
            second.Services.GetRequiredService<NotificationGrouping>().SendAsync(group.Id, default));

        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(11));
        var sweeps = await Task.WhenAll(
            ActivatorUtilities.CreateInstance<IncidentSweep>(fixture.App.Services, clock).EscalateDueAsync(default),
            ActivatorUtilities.CreateInstance<IncidentSweep>(second.Services, clock).EscalateDueAsync(default));
        // Whatever one instance skipped because the other held the incident, the next sweep takes.
        var again = await ActivatorUtilities.CreateInstance<IncidentSweep>(second.Services, clock).EscalateDueAsync(default);

        var deliveries = await fixture.DeliveriesAsync(grouped.Id);
        Assert.Single(deliveries, d => d.Trigger == DeliveryTrigger.Event);
        Assert.Equal(6, deliveries.Count(d => d.Trigger == DeliveryTrigger.Escalation));
        Assert.Equal(6, sweeps.Sum() + again);
        Assert.Equal(6, await db.Incidents.CountAsync(i => mailboxes.Contains(i.MailboxId!.Value)));
    }
}
