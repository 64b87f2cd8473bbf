using ImapEvents.Core.Actions;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>The Incidents page's list and detail, and the dashboard's availability, against PostgreSQL.</summary>
public sealed class IncidentQueriesTests(ActionFixture fixture) : IClassFixture<ActionFixture>
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private IncidentQueries Queries => fixture.Service<IncidentQueries>();

    [Fact]
    public async Task Availability_ClipsDowntimeToTheWindow_CountsOpenIncidentsUpToNow_AndYoungMailboxesFromTheirCreation()
    {
        var old = await AddMailboxAsync("Old mailbox", Now.AddDays(-60));
        var young = await AddMailboxAsync("Young mailbox", Now.AddDays(-10));
        var clean = await AddMailboxAsync("Clean mailbox", Now.AddDays(-100));
        await AddIncidentAsync(old, Now.AddDays(-40), Now.AddDays(-35));                        // before the window: not counted
        await AddIncidentAsync(old, Now.AddDays(-31), Now.AddDays(-29));                        // 1 d of it in the window; recovered after 2 d
        await AddIncidentAsync(old, Now.AddDays(-10), Now.AddDays(-10).AddHours(2));           // 2 h
        await AddIncidentAsync(old, Now.AddDays(-5), Now.AddDays(-5).AddMinutes(30), closedReason: IncidentAdministration.ClosedBecauseDisabled); // 30 min, no recovery
        await AddIncidentAsync(old, Now.AddHours(-1), closedAt: null);                          // open: 1 h so far
        await AddIncidentAsync(young, Now.AddDays(-3), Now.AddDays(-2));                        // 1 d of its 10

        var all = await Queries.AvailabilityAsync(Now, TimeSpan.FromDays(30), 10_000, default);
        var mine = all.Where(a => a.MailboxId == old || a.MailboxId == young || a.MailboxId == clean).ToList();

        Assert.Equal([young, old, clean], mine.Select(a => a.MailboxId));
        var oldOne = mine[1];
        AssertAbout(TimeSpan.FromHours(24 + 2 + 0.5 + 1), oldOne.Downtime);
        AssertAbout(TimeSpan.FromDays(30), oldOne.Window);
        Assert.Equal(1 - (27.5 / 720), oldOne.Availability, 6);
        Assert.Equal(4, oldOne.Incidents);
        Assert.Equal(1, oldOne.OpenIncidents);
        // The two recoveries, each from its first failed check: (2 d + 2 h) / 2.
        AssertAbout(TimeSpan.FromHours(25), oldOne.MeanTimeToRecover!.Value);

        var youngOne = mine[0];
        AssertAbout(TimeSpan.FromDays(10), youngOne.Window);
        Assert.Equal(0.9, youngOne.Availability, 6);
        AssertAbout(TimeSpan.FromDays(1), youngOne.MeanTimeToRecover!.Value);

        var cleanOne = mine[2];
        Assert.Equal(1, cleanOne.Availability);
        Assert.Equal(0, cleanOne.Incidents);
        Assert.Null(cleanOne.MeanTimeToRecover);
    }

    [Fact]
    public async Task TheList_ShowsOpenIncidentsFirst_NewestFirst_ThenClosedOnes_MostRecentlyEndedFirst_AndFilters()
    {
        var first = await AddMailboxAsync("First", Now.AddDays(-60));
        var second = await AddMailboxAsync("Second", Now.AddDays(-60));
        var firstClosed = await AddIncidentAsync(first, Now.AddDays(-5), Now.AddDays(-4), closedReason: IncidentAdministration.ClosedBecauseDisabled);
        var secondClosed = await AddIncidentAsync(second, Now.AddDays(-3), Now.AddDays(-3).AddHours(1), stage: CheckStage.Connect);
        var firstOpen = await AddIncidentAsync(first, Now.AddHours(-2), closedAt: null, acknowledged: true);
        var secondOpen = await AddIncidentAsync(second, Now.AddHours(-1), closedAt: null);
        Guid[] mine = [firstClosed, secondClosed, firstOpen, secondOpen];

        async Task<List<Guid>> ListAsync(IncidentQuery query) =>
            (await Queries.ListAsync(query with { PageSize = 10_000 }, default)).Items.Select(r => r.Incident.Id).Where(mine.Contains).ToList();

        Assert.Equal([secondOpen, firstOpen, secondClosed, firstClosed], await ListAsync(new IncidentQuery()));
        Assert.Equal([secondOpen, firstOpen], await ListAsync(new IncidentQuery(State: IncidentState.Open)));
        Assert.Equal([secondClosed, firstClosed], await ListAsync(new IncidentQuery(State: IncidentState.Closed)));
        Assert.Equal([firstOpen, firstClosed], await ListAsync(new IncidentQuery(MailboxId: first)));
        Assert.Equal([secondClosed], await ListAsync(new IncidentQuery(Stage: CheckStage.Connect)));
        Assert.Equal([firstOpen], await ListAsync(new IncidentQuery(Acknowledged: true)));
        Assert.Equal([secondOpen, secondClosed, firstClosed], await ListAsync(new IncidentQuery(Acknowledged: false)));
        // A range finds the incidents open at any moment of it, including one that began before it.
        Assert.Equal([firstClosed], await ListAsync(new IncidentQuery(From: Now.AddDays(-4.5), To: Now.AddDays(-3.5))));
        Assert.Equal([secondOpen, firstOpen], await ListAsync(new IncidentQuery(From: Now.AddHours(-1.5))));

        var page = await Queries.ListAsync(new IncidentQuery(MailboxId: second, PageSize: 1, Page: 1), default);
        Assert.Equal(2, page.TotalCount);
        Assert.Equal(secondClosed, Assert.Single(page.Items).Incident.Id);

        var closedRows = (await Queries.ListAsync(new IncidentQuery(State: IncidentState.Closed, PageSize: 10_000), default)).Items;
        Assert.True(closedRows.Single(r => r.Incident.Id == secondClosed).Recovered);
        var disabled = closedRows.Single(r => r.Incident.Id == firstClosed);
        Assert.False(disabled.Recovered);
        Assert.Equal(IncidentAdministration.ClosedBecauseDisabled, disabled.ClosedReason);
    }

    [Fact]
    public async Task TheDetail_HasTheTimeline_TheEvents_AndTheirDeliveries_IncludingAGroupedNotification()
    {
        var mailbox = await AddMailboxAsync("Detailed", Now.AddDays(-60));
        var neighbour = await AddMailboxAsync("Neighbour", Now.AddDays(-60));
        var incidentId = await AddIncidentAsync(mailbox, Now.AddHours(-3), Now.AddHours(-1), failures: 3);
        var neighbourIncident = await AddIncidentAsync(neighbour, Now.AddHours(-3), closedAt: null);
        await using (var db = await DbAsync())
        {
            var failure = Event(mailbox, incidentId, ImapEventType.LoginFailed, Now.AddHours(-3));
            var recovery = Event(mailbox, incidentId, ImapEventType.Recovered, Now.AddHours(-1));
            var elsewhere = Event(neighbour, neighbourIncident, ImapEventType.LoginFailed, Now.AddHours(-3));
            db.Events.AddRange(failure, recovery, elsewhere, Event(neighbour, null, ImapEventType.LoginFailed, Now));
            var group = new NotificationGroup
            {
                Id = Guid.NewGuid(), RuleId = Guid.NewGuid(), RuleName = "Grouped", ServerName = "imap.example.com", ServerPort = 993,
                Stage = CheckStage.Authenticate, OpenedAt = Now.AddHours(-3), SendAt = Now.AddHours(-3), SentAt = Now.AddHours(-3), FirstEventId = elsewhere.Id,
            };
            db.NotificationGroups.Add(group);
            db.NotificationGroupMembers.AddRange(
                new NotificationGroupMember { GroupId = group.Id, EventId = elsewhere.Id, IncidentId = neighbourIncident, MailboxName = "Neighbour", OccurredAt = elsewhere.OccurredAt },
                new NotificationGroupMember { GroupId = group.Id, EventId = failure.Id, IncidentId = incidentId, MailboxName = "Detailed", OccurredAt = failure.OccurredAt });
            db.Deliveries.AddRange(
                Delivery(failure.Id, "Page on-call", DeliveryTrigger.Event, Now.AddHours(-3)),
                Delivery(recovery.Id, "Page on-call", DeliveryTrigger.Recovery, Now.AddHours(-1)),
                Delivery(elsewhere.Id, "Grouped", DeliveryTrigger.Event, Now.AddHours(-2), group.Id),
                Delivery(elsewhere.Id, "Only the neighbour's", DeliveryTrigger.Event, Now.AddHours(-2)));
            await db.SaveChangesAsync();
        }

        var detail = await Queries.DetailAsync(incidentId, default);

        Assert.NotNull(detail);
        Assert.Equal([IncidentChangeKind.Opened, IncidentChangeKind.Recovered], detail.Timeline.Select(c => c.Kind));
        Assert.Equal(2, detail.EventCount);
        Assert.Equal([ImapEventType.Recovered, ImapEventType.LoginFailed], detail.LatestEvents.Select(e => e.Type));
        Assert.Equal(3, detail.DeliveryCount);
        Assert.Equal(
            [("Page on-call", DeliveryTrigger.Recovery), ("Grouped", DeliveryTrigger.Event), ("Page on-call", DeliveryTrigger.Event)],
            detail.Deliveries.Select(d => (d.RuleName, d.Trigger)));
        Assert.Null(await Queries.DetailAsync(Guid.NewGuid(), default));

        var events = await fixture.Service<EventQueries>().ListAsync(new EventQuery(IncidentId: incidentId), default);
        Assert.Equal(2, events.TotalCount);
    }

    /// <summary>Equal to the second: PostgreSQL keeps microseconds, the sums go through seconds as doubles.</summary>
    private static void AssertAbout(TimeSpan expected, TimeSpan actual) =>
        Assert.True(Math.Abs((actual - expected).TotalSeconds) < 1, $"Expected {expected}, got {actual}.");

    private async Task<AppDbContext> DbAsync() => await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();

    private async Task<Guid> AddMailboxAsync(string name, DateTimeOffset createdAt)
    {
        await using var db = await DbAsync();
        var mailbox = new Mailbox
        {
            Id = Guid.NewGuid(), DisplayName = $"{name} {Guid.NewGuid():N}", ServerName = "imap.example.com", LoginUsername = ActionFixture.NewUser(),
            Enabled = false, CreatedAt = createdAt, UpdatedAt = createdAt,
        };
        db.Mailboxes.Add(mailbox);
        await db.SaveChangesAsync();
        return mailbox.Id;
    }

    /// <summary>An incident as checks would have left it: opened, failed <paramref name="failures"/> times, then recovered or closed (or still open).</summary>
    private async Task<Guid> AddIncidentAsync(
        Guid mailboxId, DateTimeOffset openedAt, DateTimeOffset? closedAt, string? closedReason = null, CheckStage stage = CheckStage.Authenticate,
        bool acknowledged = false, int failures = 1)
    {
        await using var db = await DbAsync();
        var (incident, opened) = Incident.Open(
            mailboxId, "Mailbox", "imap.example.com", 993, "user@example.com", true, stage, CheckErrorKind.CredentialsRejected, "Authentication failed.", openedAt);
        db.Incidents.Add(incident);
        db.IncidentChanges.Add(opened);
        for (var i = 1; i < failures; i++)
        {
            incident.RecordFailure(stage, CheckErrorKind.CredentialsRejected, "Authentication failed.", openedAt.AddMinutes(i));
        }

        if (acknowledged)
        {
            db.IncidentChanges.Add(incident.Acknowledge("someone", "someone@example.com", "On it", openedAt.AddMinutes(1)));
        }

        if (closedAt is { } end)
        {
            db.IncidentChanges.Add(closedReason is null ? incident.Recover(end) : incident.Close(closedReason, end));
        }

        await db.SaveChangesAsync();
        return incident.Id;
    }

    private static ImapEvent Event(Guid mailboxId, Guid? incidentId, ImapEventType type, DateTimeOffset at) => new()
    {
        Id = Guid.NewGuid(), Type = type, OccurredAt = at, MailboxId = mailboxId, IncidentId = incidentId, MailboxName = "Mailbox",
        ServerName = "imap.example.com", ServerPort = 993, LoginUsername = "user@example.com", Stage = CheckStage.Authenticate, DispatchedAt = at,
    };

    private static Delivery Delivery(Guid eventId, string ruleName, DeliveryTrigger trigger, DateTimeOffset at, Guid? groupId = null)
    {
        var action = RuleAction.Create(ActionKind.LogToFile);
        return new Delivery
        {
            Id = Guid.NewGuid(), EventId = eventId, RuleId = Guid.NewGuid(), RuleName = ruleName, OwnerId = "owner", ActionId = action.Id, Kind = action.Kind,
            Action = action, Status = DeliveryStatus.Delivered, Trigger = trigger, GroupId = groupId, CreatedAt = at,
        };
    }
}
