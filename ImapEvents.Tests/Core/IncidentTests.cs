using ImapEvents.Core.Actions;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Text;

namespace ImapEvents.Tests.Core;

public sealed class IncidentTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);

    private static Incident Opened(out IncidentChange opened)
    {
        (var incident, opened) = Incident.Open(Guid.NewGuid(), "Support", "imap.example.com", 993, "support@example.com", true,
            CheckStage.Authenticate, CheckErrorKind.CredentialsRejected, "Authentication failed.", T0);
        return incident;
    }

    [Fact]
    public void TheFirstFailedCheck_OpensAnIncident_WithOneFailure()
    {
        var incident = Opened(out var opened);

        Assert.True(incident.IsOpen);
        Assert.Equal(1, incident.FailedChecks);
        Assert.Equal(T0, incident.OpenedAt);
        Assert.Equal(IncidentChangeKind.Opened, opened.Kind);
        Assert.Equal(incident.Id, opened.IncidentId);
        Assert.Equal("Authentication failed.", opened.Message);
    }

    [Fact]
    public void MoreFailures_AreCounted_AndOnlyANewStageOrKindIsAChange()
    {
        var incident = Opened(out _);

        var same = incident.RecordFailure(CheckStage.Authenticate, CheckErrorKind.CredentialsRejected, "Authentication failed.", T0.AddMinutes(1));
        var otherKind = incident.RecordFailure(CheckStage.Authenticate, CheckErrorKind.AuthenticationMechanism, "No mechanism.", T0.AddMinutes(2));
        var otherStage = incident.RecordFailure(CheckStage.Connect, CheckErrorKind.ConnectionRefused, "Connection refused.", T0.AddMinutes(3));

        Assert.Null(same);
        Assert.Equal(IncidentChangeKind.ErrorChanged, otherKind!.Kind);
        Assert.Equal(IncidentChangeKind.StageChanged, otherStage!.Kind);
        Assert.Equal(CheckStage.Authenticate, otherStage.PreviousStage);
        Assert.Equal(CheckStage.Connect, otherStage.Stage);
        Assert.Equal(4, incident.FailedChecks);
        Assert.Equal(1, incident.StageChanges);
        Assert.Equal(T0.AddMinutes(3), incident.LastFailureAt);
        Assert.Equal("Connection refused.", incident.LastError);
    }

    [Fact]
    public void Recovery_ClosesIt_WithItsDuration_AndAClosedIncidentTakesNoMore()
    {
        var incident = Opened(out _);
        incident.Acknowledge("user-1", "admin@example.test", "  looking  ", T0.AddMinutes(1));

        var recovered = incident.Recover(T0.AddMinutes(12));

        Assert.False(incident.IsOpen);
        Assert.Equal(TimeSpan.FromMinutes(12), incident.Duration(T0.AddHours(5)));
        Assert.Equal(IncidentChangeKind.Recovered, recovered.Kind);
        Assert.Equal("looking", incident.AcknowledgementNote);
        Assert.Throws<InvalidOperationException>(() => incident.RecordFailure(CheckStage.Connect, CheckErrorKind.Timeout, "x", T0.AddHours(1)));
        Assert.Throws<InvalidOperationException>(() => incident.Acknowledge("user-1", "a", null, T0.AddHours(1)));
    }

    [Theory]
    [InlineData(0, "0 s")]
    [InlineData(59, "59 s")]
    [InlineData(60, "1 min")]
    [InlineData(3599, "59 min")]
    [InlineData(3600, "1 h")]
    [InlineData(3900, "1 h 5 min")]
    [InlineData(86400, "1 d")]
    [InlineData(100000, "1 d 3 h")]
    [InlineData(-5, "0 s")]
    public void Durations_ReadAsPeopleSayThem(int seconds, string expected) =>
        Assert.Equal(expected, DurationText.Of(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Templates_CarryTheIncident_TheCertificate_AndTheMailboxesOfAGroup()
    {
        var recovery = new ImapEvent
        {
            Type = ImapEventType.Recovered,
            MailboxName = "Support",
            FailureNumber = 7,
            Downtime = TimeSpan.FromMinutes(42),
            CertificateExpiresAt = new DateTimeOffset(2027, 1, 5, 10, 0, 0, TimeSpan.Zero),
        };
        var group = new List<GroupedMailbox>
        {
            new("Support", "support@example.com", "Connection refused.", T0),
            new("Sales", "sales@example.com", "Connection refused.", T0),
        };

        var single = new TemplateValues(recovery, "rule", 0, "https://imapevents.example.org/incidents/1");
        var grouped = new TemplateValues(recovery, "rule", 0, null, group);

        Assert.Equal("42 min|7|https://imapevents.example.org/incidents/1|2027-01-05T10:00:00Z|Support|1",
            EventTemplate.Render("{Downtime}|{FailedChecks}|{IncidentUrl}|{CertificateExpires}|{Mailboxes}|{MailboxCount}", single));
        Assert.Equal("2 mailboxes: Support, Sales", EventTemplate.Render("{MailboxName}", grouped));
        Assert.Equal("Support (support@example.com): Connection refused.; Sales (sales@example.com): Connection refused.|2",
            EventTemplate.Render("{Mailboxes}|{MailboxCount}", grouped));
    }

    [Fact]
    public void EveryNewEventType_HasTheNameAdministratorsSee()
    {
        Assert.Equal("IMAP Recovered", ImapEventType.Recovered.DisplayName());
        Assert.Equal("IMAP Certificate Expiring", ImapEventType.CertificateExpiring.DisplayName());
        Assert.Equal("IMAP Mailbox Stale", ImapEventType.MailboxStale.DisplayName());
        Assert.Equal(4, Enum.GetValues<ImapEventType>().Count(t => t.IsFailure()));
    }
}
