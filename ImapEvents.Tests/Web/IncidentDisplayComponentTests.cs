using Bunit;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Tests.TestSupport;
using ImapEvents.Web.Features.Events;
using ImapEvents.Web.Features.Mailboxes;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace ImapEvents.Tests.Web;

/// <summary>What incidents add to the Events page: the reason a rule held back, maintenance, triggers, the new event types, the incident filter.</summary>
public sealed class IncidentDisplayComponentTests : ServiceComponentTestBase
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task TheEventsPage_SaysWhyARuleHeldBack_MarksMaintenance_NamesTheTrigger_AndShowsTheNewEventTypes()
    {
        var incidentId = Guid.NewGuid();
        var failure = Event(ImapEventType.LoginFailed, Now.AddMinutes(-30), incidentId, e =>
        {
            e.FailureNumber = 3;
            e.InMaintenance = true;
        });
        var recovery = Event(ImapEventType.Recovered, Now.AddMinutes(-2), incidentId, e =>
        {
            e.FailureNumber = 4;
            e.Downtime = TimeSpan.FromMinutes(28);
        });
        var certificate = Event(ImapEventType.CertificateExpiring, Now.AddMinutes(-1), null, e =>
        {
            e.CertificateExpiresAt = new DateTimeOffset(2027, 1, 15, 12, 0, 0, TimeSpan.Zero);
            e.CertificateIssuer = "CN=Example Issuing CA";
        });
        await using (var db = await Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            db.Events.AddRange(failure, recovery, certificate);
            db.RuleMatches.AddRange(
                new EventRuleMatch { EventId = failure.Id, RuleId = Guid.NewGuid(), RuleName = "Page on-call", Held = RuleMatchHold.InMaintenance },
                new EventRuleMatch { EventId = failure.Id, RuleId = Guid.NewGuid(), RuleName = "Old snooze", Snoozed = true },
                new EventRuleMatch { EventId = recovery.Id, RuleId = Guid.NewGuid(), RuleName = "Tell the team" });
            var action = RuleAction.Create(ActionKind.LogToFile);
            db.Deliveries.Add(new Delivery
            {
                Id = Guid.NewGuid(), EventId = recovery.Id, RuleId = Guid.NewGuid(), RuleName = "Tell the team", OwnerId = "owner", ActionId = action.Id,
                Kind = action.Kind, Action = action, Status = DeliveryStatus.Delivered, Trigger = DeliveryTrigger.Recovery, CreatedAt = Now, Attempts = 1,
            });
            await db.SaveChangesAsync();
        }

        Render<MudPopoverProvider>();
        var page = Render<EventsPage>();

        await EventuallyAsync(() => Assert.Equal(3, EventRows(page).Count));
        var rows = EventRows(page);
        var certificateRow = rows[0].TextContent;
        Assert.Contains("IMAP Certificate Expiring", certificateRow, StringComparison.Ordinal);
        Assert.Contains($"Certificate expires {certificate.CertificateExpiresAt!.Value.ToLocalTime():d} · issued by CN=Example Issuing CA", certificateRow, StringComparison.Ordinal);
        var recoveryRow = rows[1].TextContent;
        Assert.Contains("IMAP Recovered", recoveryRow, StringComparison.Ordinal);
        Assert.Contains("Down 28 min · 4 failed checks", recoveryRow, StringComparison.Ordinal);
        Assert.Contains("Log to File (Tell the team, recovery)", Beneath(rows[1]), StringComparison.Ordinal);
        var failureRow = rows[2];
        Assert.Contains("In maintenance", failureRow.TextContent, StringComparison.Ordinal);
        Assert.Equal($"incidents/{incidentId}", failureRow.QuerySelector("a")!.GetAttribute("href"));
        Assert.Contains("Incident, failed check 3", failureRow.TextContent, StringComparison.Ordinal);
        Assert.Contains("Page on-call (in maintenance)", Beneath(failureRow), StringComparison.Ordinal);
        Assert.Contains("Old snooze (snoozed)", Beneath(failureRow), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheEventsPage_ShowsTheEventsOfOneIncident_WhenTheAddressNamesIt()
    {
        var incidentId = Guid.NewGuid();
        await using (var db = await Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            db.Events.AddRange(
                Event(ImapEventType.LoginFailed, Now.AddMinutes(-3), incidentId, _ => { }),
                Event(ImapEventType.LoginFailed, Now.AddMinutes(-2), incidentId, _ => { }),
                Event(ImapEventType.LoginFailed, Now.AddMinutes(-1), Guid.NewGuid(), _ => { }));
            await db.SaveChangesAsync();
        }

        Service<NavigationManager>().NavigateTo($"/events?incident={incidentId}");
        Render<MudPopoverProvider>();
        var page = Render<EventsPage>();

        await EventuallyAsync(() => Assert.Equal(2, EventRows(page).Count));
        Assert.Contains("Only the events of", page.Find("[role=status]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void AFailingMailbox_LinksToItsIncident_AndACertificateAboutToExpireIsAWarning()
    {
        var incidentId = Guid.NewGuid();
        var since = new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);
        var expires = new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero);
        var row = new MailboxRow(
            Guid.NewGuid(), "Support", "imap.example.com", 993, ConnectionSecurity.SslOnConnect, false, "support@example.com", "INBOX", 5, true,
            since.AddHours(1), CheckOutcome.Failed, CheckStage.Authenticate, "Authentication failed.", 4, 12,
            OpenIncidentId: incidentId, FailingSince: since, CertificateExpiresSoon: expires);

        var health = Render<MailboxHealth>(p => p.Add(h => h.Row, row));
        var expired = Render<MailboxHealth>(p => p.Add(h => h.Row, row with { CertificateExpired = true }));
        var healthy = Render<MailboxHealth>(p => p.Add(h => h.Row, row with { LastOutcome = CheckOutcome.Succeeded, OpenIncidentId = null, FailingSince = null, CertificateExpiresSoon = null }));

        var link = health.Find("a.mailbox-incident");
        Assert.Equal($"incidents/{incidentId}", link.GetAttribute("href"));
        Assert.Equal($"Failing since {since.ToLocalTime():g}", link.TextContent.Trim());
        Assert.Equal($"Certificate expires {expires.ToLocalTime():d}", health.Find(".mailbox-certificate").TextContent.Trim());
        Assert.Equal($"Certificate expired {expires.ToLocalTime():d}", expired.Find(".mailbox-certificate").TextContent.Trim());
        Assert.Empty(healthy.FindAll(".mailbox-incident"));
        Assert.Empty(healthy.FindAll(".mailbox-certificate"));
    }

    /// <summary>The Events page's rows of events (each is followed by a row of what it set off).</summary>
    private static List<AngleSharp.Dom.IElement> EventRows(IRenderedComponent<EventsPage> page) =>
        page.FindAll("tbody tr").Where(r => r.QuerySelector("td[data-label=Mailbox]") is not null).ToList();

    private static string Beneath(AngleSharp.Dom.IElement eventRow) => eventRow.NextElementSibling!.TextContent;

    private static ImapEvent Event(ImapEventType type, DateTimeOffset at, Guid? incidentId, Action<ImapEvent> fill)
    {
        var imapEvent = new ImapEvent
        {
            Id = Guid.NewGuid(), Type = type, OccurredAt = at, IncidentId = incidentId, MailboxName = "Support", ServerName = "imap.example.com",
            ServerPort = 993, LoginUsername = "support@example.com", Ssl = true, Stage = CheckStage.Authenticate,
            ErrorKind = CheckErrorKind.CredentialsRejected, ErrorMessage = "Authentication failed.", DispatchedAt = at,
        };
        fill(imapEvent);
        return imapEvent;
    }
}
