using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Rules;

namespace ImapEvents.Tests.Core;

public sealed class NotificationPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);

    private static ImapEvent Failure(int failureNumber, int stageChangeNumber = 0, ImapEventType type = ImapEventType.LoginFailed) => new()
    {
        Id = Guid.NewGuid(),
        Type = type,
        OccurredAt = Now,
        IncidentId = Guid.NewGuid(),
        FailureNumber = failureNumber,
        StageChangeNumber = stageChangeNumber,
    };

    private static IncidentOptions Options(int fireAfter = 1, NotifyMode notify = NotifyMode.EveryEvent, bool onRecovery = false) =>
        new(fireAfter, notify, onRecovery, GroupByServer: false, EscalateAfterMinutes: null);

    private static RuleMatchHold? Decide(IncidentOptions options, ImapEvent imapEvent, bool snoozed = false, bool acknowledged = false, PriorNotification? prior = null) =>
        NotificationPolicy.Decide(options, imapEvent, snoozed, acknowledged, prior);

    [Fact]
    public void ATestEvent_AlwaysFires_EvenForASnoozedRuleThatWaitsForFailures()
    {
        var test = Failure(1);
        test.IsTest = true;
        test.InMaintenance = true;

        Assert.Null(Decide(Options(fireAfter: 5, notify: NotifyMode.OncePerIncident), test, snoozed: true, acknowledged: true, prior: new PriorNotification(0)));
    }

    [Fact]
    public void ASnoozedRule_IsHeldAsSnoozed_BeforeAnythingElse() =>
        Assert.Equal(RuleMatchHold.Snoozed, Decide(Options(fireAfter: 5), InMaintenance(Failure(1)), snoozed: true, acknowledged: true));

    [Fact]
    public void AnEventInMaintenance_IsHeld_WhateverItsFailureCount() =>
        Assert.Equal(RuleMatchHold.InMaintenance, Decide(Options(), InMaintenance(Failure(7)), acknowledged: true));

    [Theory]
    [InlineData(1, 1, null)]
    [InlineData(2, 3, RuleMatchHold.WaitingForFailures)]
    [InlineData(3, 3, null)]
    [InlineData(4, 3, null)]
    public void FireAfterN_HoldsBackTheFirstNMinusOneFailures(int failureNumber, int fireAfter, RuleMatchHold? expected) =>
        Assert.Equal(expected, Decide(Options(fireAfter), Failure(failureNumber)));

    [Fact]
    public void AnEventStoredBeforeIncidentsExisted_CountsAsAFirstFailure()
    {
        Assert.Null(Decide(Options(fireAfter: 1), Failure(failureNumber: 0)));
        Assert.Equal(RuleMatchHold.WaitingForFailures, Decide(Options(fireAfter: 2), Failure(failureNumber: 0)));
    }

    [Fact]
    public void AFailureEvaluatedAfterItsIncidentClosed_IsHeldAsOver_ButNotItsRecovery()
    {
        Assert.Equal(RuleMatchHold.IncidentOver, NotificationPolicy.Decide(Options(), Failure(2), false, false, null, incidentOver: true));
        var recovery = Failure(2, type: ImapEventType.Recovered);
        Assert.Null(NotificationPolicy.Decide(Options(), recovery, false, false, null, incidentOver: true));
    }

    [Fact]
    public void AnAcknowledgedIncident_HoldsFailures_OnceTheyReachN()
    {
        Assert.Equal(RuleMatchHold.Acknowledged, Decide(Options(fireAfter: 2), Failure(2), acknowledged: true));
        // Still waiting is the better reason while N is not reached.
        Assert.Equal(RuleMatchHold.WaitingForFailures, Decide(Options(fireAfter: 3), Failure(2), acknowledged: true));
    }

    [Fact]
    public void OncePerIncident_FiresForTheFirst_ThenHoldsAsAlreadyNotified_UntilTheStageChanges()
    {
        var once = Options(notify: NotifyMode.OncePerIncident);

        Assert.Null(Decide(once, Failure(1), prior: null));
        Assert.Equal(RuleMatchHold.AlreadyNotified, Decide(once, Failure(2), prior: new PriorNotification(0)));
        Assert.Null(Decide(once, Failure(3, stageChangeNumber: 1), prior: new PriorNotification(0)));
        Assert.Equal(RuleMatchHold.AlreadyNotified, Decide(once, Failure(4, stageChangeNumber: 1), prior: new PriorNotification(1)));
    }

    [Fact]
    public void OnEveryMatchingEvent_FiresAgain_WhateverWasNotifiedBefore() =>
        Assert.Null(Decide(Options(), Failure(5), prior: new PriorNotification(0)));

    [Theory]
    [InlineData(2, 3, RuleMatchHold.WaitingForFailures)]
    [InlineData(3, 3, null)]
    public void ARecoveredRuleWithN_HearsOnlyOfIncidentsThatLastedNFailedChecks(int failedChecks, int fireAfter, RuleMatchHold? expected) =>
        Assert.Equal(expected, Decide(Options(fireAfter), Failure(failedChecks, type: ImapEventType.Recovered)));

    [Fact]
    public void ARecovery_IsNotHeldByAnAcknowledgementOrByOncePerIncident() =>
        Assert.Null(Decide(Options(notify: NotifyMode.OncePerIncident), Failure(3, type: ImapEventType.Recovered), acknowledged: true, prior: new PriorNotification(0)));

    [Theory]
    [InlineData(ImapEventType.CertificateExpiring)]
    [InlineData(ImapEventType.MailboxStale)]
    public void EventsOfNoIncident_FireUnlessSnoozedOrInMaintenance(ImapEventType type)
    {
        var imapEvent = new ImapEvent { Id = Guid.NewGuid(), Type = type, OccurredAt = Now };

        Assert.Null(Decide(Options(fireAfter: 5), imapEvent));
        Assert.Equal(RuleMatchHold.InMaintenance, Decide(Options(), InMaintenance(imapEvent)));
    }

    [Fact]
    public void NotifiesRecovery_OnlyForIncidentsTheRuleNotifiedAbout_NotSnoozed_NotInMaintenance()
    {
        var recovery = Failure(3, type: ImapEventType.Recovered);
        var onRecovery = Options(onRecovery: true);
        var notified = new PriorNotification(0);

        Assert.True(NotificationPolicy.NotifiesRecovery(onRecovery, recovery, snoozed: false, notified));
        Assert.False(NotificationPolicy.NotifiesRecovery(Options(), recovery, snoozed: false, notified));
        Assert.False(NotificationPolicy.NotifiesRecovery(onRecovery, recovery, snoozed: false, prior: null));
        Assert.False(NotificationPolicy.NotifiesRecovery(onRecovery, recovery, snoozed: true, notified));
        Assert.False(NotificationPolicy.NotifiesRecovery(onRecovery, InMaintenance(recovery), snoozed: false, notified));
    }

    [Fact]
    public void TheOptionsOfARule_AreReadWithNAtLeastOne()
    {
        var rule = new EventRule { FireAfterFailures = 0, Notify = NotifyMode.OncePerIncident, NotifyOnRecovery = true, GroupByServer = true, EscalateAfterMinutes = 30 };

        Assert.Equal(new IncidentOptions(1, NotifyMode.OncePerIncident, true, true, 30), IncidentOptions.Of(rule));
        Assert.Equal(IncidentOptions.Default, IncidentOptions.Of(new EventRule()));
    }

    [Fact]
    public void EveryHold_IsDescribedInWords() =>
        Assert.All(Enum.GetValues<RuleMatchHold>(), hold => Assert.False(string.IsNullOrWhiteSpace(hold.Describe())));

    private static ImapEvent InMaintenance(ImapEvent imapEvent)
    {
        imapEvent.InMaintenance = true;
        return imapEvent;
    }
}

/// <summary>"Would have fired": stored events replayed through a rule's options, as the dispatcher would have decided them.</summary>
public sealed class NotificationPolicyReplayTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    /// <summary>The failed checks of one mailbox's incident, a minute apart, as CheckRecorder numbers them.</summary>
    private static List<ImapEvent> Incident(int failures, string server = "imap.example.com", DateTimeOffset? from = null, Func<int, int>? stageChanges = null)
    {
        var incidentId = Guid.NewGuid();
        return Enumerable.Range(1, failures).Select(n => new ImapEvent
        {
            Id = Guid.NewGuid(),
            Type = ImapEventType.LoginFailed,
            OccurredAt = (from ?? Start) + TimeSpan.FromMinutes(n - 1),
            ServerName = server,
            ServerPort = 993,
            Stage = CheckStage.Authenticate,
            IncidentId = incidentId,
            FailureNumber = n,
            StageChangeNumber = stageChanges?.Invoke(n) ?? 0,
        }).ToList();
    }

    private static NotificationReplay Replay(IncidentOptions options, IEnumerable<ImapEvent> events)
    {
        var replay = new NotificationReplay(options, Window);
        foreach (var imapEvent in events.OrderBy(e => e.OccurredAt))
        {
            replay.Add(imapEvent);
        }

        return replay;
    }

    private static IncidentOptions Options(
        int fireAfter = 1, NotifyMode notify = NotifyMode.EveryEvent, bool onRecovery = false, bool grouped = false, int? escalateAfter = null) =>
        new(fireAfter, notify, onRecovery, grouped, escalateAfter);

    [Fact]
    public void WithTheDefaults_EveryMatchedEventIsANotification() =>
        Assert.Equal(new WouldHaveFired(10, 10, 0, 0), Replay(IncidentOptions.Default, Incident(10)).Result);

    [Fact]
    public void FireAfterThree_OnEveryEvent_NotifiesFromTheThirdFailureOn() =>
        Assert.Equal(new WouldHaveFired(10, 8, 0, 0), Replay(Options(fireAfter: 3), Incident(10)).Result);

    [Fact]
    public void FireAfterThree_OncePerIncident_NotifiesOnce()
    {
        Assert.Equal(new WouldHaveFired(10, 1, 0, 0), Replay(Options(fireAfter: 3, notify: NotifyMode.OncePerIncident), Incident(10)).Result);
        Assert.Equal(new WouldHaveFired(2, 0, 0, 0), Replay(Options(fireAfter: 3, notify: NotifyMode.OncePerIncident), Incident(2)).Result);
    }

    [Fact]
    public void OncePerIncident_NotifiesAgainWhenTheFailingStageChanges_AndPerIncident()
    {
        // The stage changed before the 6th failed check of the first incident.
        var events = Incident(10, stageChanges: n => n >= 6 ? 1 : 0).Concat(Incident(4, from: Start.AddHours(2)));

        Assert.Equal(3, Replay(Options(notify: NotifyMode.OncePerIncident), events).Result.Notifications);
    }

    [Fact]
    public void EventsInMaintenance_AreNotNotified()
    {
        var events = Incident(3);
        events[0].InMaintenance = true;
        events[1].InMaintenance = true;

        Assert.Equal(new WouldHaveFired(3, 1, 0, 0), Replay(Options(notify: NotifyMode.OncePerIncident), events).Result);
    }

    [Fact]
    public void GroupedByServer_FailuresOfOneServerWithinTheWindow_CountOnce()
    {
        // Five mailboxes of one server fail within 40 seconds; one of another server; then the first five again two minutes on.
        var events = Enumerable.Range(0, 5).SelectMany(i => Incident(1, from: Start.AddSeconds(i * 10)))
            .Concat(Incident(1, server: "other.example.com", from: Start.AddSeconds(5)))
            .Concat(Enumerable.Range(0, 5).SelectMany(i => Incident(1, server: "IMAP.example.com", from: Start.AddMinutes(2).AddSeconds(i))))
            .ToList();

        Assert.Equal(new WouldHaveFired(11, 3, 0, 0), Replay(Options(grouped: true), events).Result);
        Assert.Equal(11, Replay(Options(), events).Result.Notifications);
    }

    [Fact]
    public void OnRecovery_CountsTheRecoveriesOfIncidentsItNotifiedAbout()
    {
        var notifiedAbout = Incident(4);
        var tooShort = Incident(1, from: Start.AddHours(1));
        var replay = Replay(Options(fireAfter: 2, notify: NotifyMode.OncePerIncident, onRecovery: true), notifiedAbout.Concat(tooShort));

        Assert.Equal(new[] { notifiedAbout[0].IncidentId!.Value }, replay.NotifiedIncidents);
        replay.AddRecovery(Recovery(notifiedAbout));
        var duringMaintenance = Recovery(notifiedAbout);
        duringMaintenance.InMaintenance = true;
        replay.AddRecovery(duringMaintenance);
        replay.AddRecovery(Recovery(tooShort));

        Assert.Equal(new WouldHaveFired(5, 1, 1, 0), replay.Result);
    }

    [Fact]
    public void Escalation_CountsNotifiedIncidentsStillOpenMMinutesAfterTheFirstNotification()
    {
        var stillOpen = Incident(2);
        var closedInTime = Incident(2, from: Start.AddHours(1));
        var closedLate = Incident(2, from: Start.AddHours(2));
        var tooRecent = Incident(1, from: Start.AddHours(3));
        var now = Start.AddHours(3).AddMinutes(10);
        var replay = Replay(Options(notify: NotifyMode.OncePerIncident, escalateAfter: 30), [.. stillOpen, .. closedInTime, .. closedLate, .. tooRecent]);

        replay.AddIncidentEnd(stillOpen[0].IncidentId!.Value, closedAt: null, now);
        replay.AddIncidentEnd(closedInTime[0].IncidentId!.Value, Start.AddHours(1).AddMinutes(20), now);
        replay.AddIncidentEnd(closedLate[0].IncidentId!.Value, Start.AddHours(2).AddMinutes(45), now);
        replay.AddIncidentEnd(tooRecent[0].IncidentId!.Value, closedAt: null, now);

        Assert.Equal(new WouldHaveFired(7, 4, 0, 2), replay.Result);
    }

    [Fact]
    public void GroupedEscalation_CountsFromWhenTheGroupWasSent()
    {
        var events = Incident(1);
        var replay = Replay(Options(grouped: true, escalateAfter: 1), events);

        // The group goes at the end of its 60-second window; one minute after that is 2 minutes after the failure.
        replay.AddIncidentEnd(events[0].IncidentId!.Value, Start.AddSeconds(100), Start.AddHours(1));

        Assert.Equal(0, replay.Result.Escalations);
    }

    private static ImapEvent Recovery(List<ImapEvent> incident) => new()
    {
        Id = Guid.NewGuid(),
        Type = ImapEventType.Recovered,
        OccurredAt = incident[^1].OccurredAt.AddMinutes(1),
        IncidentId = incident[0].IncidentId,
        FailureNumber = incident.Count,
    };
}
