using Bunit;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using ImapEvents.Web.Features.Incidents;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ImapEvents.Tests.Web;

/// <summary>The Incidents page and an incident's page, on the real services and a database of their own.</summary>
public sealed class IncidentsPageComponentTests : ServiceComponentTestBase
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task OpenIncidentsComeFirst_NewestFirst_ThenClosedOnes_WithTheirDurationAndWhoAcknowledged()
    {
        await AddIncidentAsync("Closed yesterday", Now.AddDays(-1).AddHours(-3), Now.AddDays(-1));
        await AddIncidentAsync("Open for two hours", Now.AddHours(-2), null, acknowledgedBy: "oncall@example.test");
        await AddIncidentAsync("Open for ten minutes", Now.AddMinutes(-10), null);
        Render<MudPopoverProvider>();

        var page = Render<IncidentsPage>();

        await EventuallyAsync(() => Assert.Equal(3, Rows(page).Count));
        Assert.Equal(["Mailbox", "Stage", "Since", "Duration", "Failed checks", "Acknowledged by"], page.FindAll("th").Select(h => h.TextContent.Trim()));
        var rows = Rows(page);
        Assert.StartsWith("Open for ten minutes", Cell(rows[0], "Mailbox"), StringComparison.Ordinal);
        Assert.StartsWith("Open for two hours", Cell(rows[1], "Mailbox"), StringComparison.Ordinal);
        Assert.StartsWith("Closed yesterday", Cell(rows[2], "Mailbox"), StringComparison.Ordinal);
        Assert.Contains("Open", Cell(rows[0], "Stage"), StringComparison.Ordinal);
        Assert.Contains("Log in failed", Cell(rows[0], "Stage"), StringComparison.Ordinal);
        Assert.StartsWith("2 h so far", Cell(rows[1], "Duration"), StringComparison.Ordinal);
        Assert.StartsWith("3 h", Cell(rows[2], "Duration"), StringComparison.Ordinal);
        Assert.Contains("Recovered", Cell(rows[2], "Stage"), StringComparison.Ordinal);
        Assert.Equal("Not acknowledged", Cell(rows[0], "Acknowledged by"));
        Assert.StartsWith("oncall@example.test", Cell(rows[1], "Acknowledged by"), StringComparison.Ordinal);
        Assert.Equal("incidents/", rows[0].QuerySelector("a")!.GetAttribute("href")![..10]);
    }

    [Fact]
    public async Task TheFiltersInTheAddress_AreShownAndApplied()
    {
        await AddIncidentAsync("Closed one", Now.AddDays(-2), Now.AddDays(-2).AddMinutes(45));
        await AddIncidentAsync("Open one", Now.AddHours(-1), null);
        Render<MudPopoverProvider>();

        var navigation = Service<NavigationManager>();
        navigation.NavigateTo("/incidents?state=closed&acknowledged=no");

        var closed = Render<IncidentsPage>();

        await EventuallyAsync(() => Assert.StartsWith("Closed one", Cell(Assert.Single(Rows(closed)), "Mailbox"), StringComparison.Ordinal));
        Assert.Equal("Closed", Input(closed, "State").GetAttribute("value"));
        Assert.Equal("No", Input(closed, "Acknowledged").GetAttribute("value"));

        // A value that does not parse is no filter: the list shows everything rather than an error.
        navigation.NavigateTo("/incidents?state=half-open&stage=7");
        var everything = Render<IncidentsPage>();
        await EventuallyAsync(() => Assert.Equal(2, Rows(everything).Count));
    }

    [Fact]
    public void AFilter_ReadFromItsOwnLink_IsTheSameFilter()
    {
        var filter = new IncidentFilter(IncidentState.Open, Guid.NewGuid(), CheckStage.Authenticate, false, new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 30));

        var link = filter.Link();
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(new Uri("http://localhost/"), link).Query);
        var read = IncidentFilter.Parse(query["state"], query["mailbox"], query["stage"], query["acknowledged"], query["from"], query["to"]);

        Assert.Equal($"incidents?state=open&mailbox={filter.MailboxId}&stage=Authenticate&acknowledged=no&from=2026-11-01&to=2026-11-30", link);
        Assert.Equal(filter, read);
        Assert.Equal("incidents", new IncidentFilter().Link());
    }

    [Fact]
    public async Task Acknowledge_OpensADialogWithALabelledNote_AndThePageShowsWhoAndWhen()
    {
        await AddAdministratorAsync(AdministratorId, "admin@example.test");
        var incidentId = await AddIncidentAsync("Failing mailbox", Now.AddMinutes(-30), null);
        var dialogs = Render<MudDialogProvider>();
        Render<MudPopoverProvider>();
        var page = Render<IncidentPage>(p => p.Add(x => x.Id, incidentId.ToString()));
        await EventuallyAsync(() => Assert.Contains("Nobody has acknowledged this incident.", page.Markup, StringComparison.Ordinal));

        // The click's handler waits for the dialog to close, so it is awaited only once the dialog acknowledged.
        var acknowledging = ClickButtonAsync(page, "Acknowledge");
        await EventuallyAsync(() => Assert.True(dialogs.HasComponent<AcknowledgeDialog>()));
        var dialog = dialogs.FindComponent<AcknowledgeDialog>();
        await EventuallyAsync(() => Assert.NotNull(Input(dialog, "Note")));
        await ChangeFieldAsync(dialog, "Note", "Looking at it: the password was rotated.");
        await ClickButtonAsync(dialog, "Acknowledge");
        await acknowledging.WaitAsync(TimeSpan.FromSeconds(10));

        await EventuallyAsync(() =>
        {
            Assert.False(dialogs.HasComponent<AcknowledgeDialog>());
            Assert.Contains("Acknowledged by <strong>admin@example.test</strong>", page.Markup, StringComparison.Ordinal);
            Assert.Contains("Looking at it: the password was rotated.", page.Markup, StringComparison.Ordinal);
            Assert.DoesNotContain(page.FindAll("button"), b => b.TextContent.Trim() == "Acknowledge");
        });
        Assert.Contains("Acknowledged by admin@example.test", page.Find("[aria-label=Timeline]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAddressThatIsNoIncident_SaysSo()
    {
        var page = Render<IncidentPage>(p => p.Add(x => x.Id, "not-an-id"));

        await EventuallyAsync(() => Assert.Contains("Incident not found", page.Markup, StringComparison.Ordinal));
    }

    private static List<AngleSharp.Dom.IElement> Rows(IRenderedComponent<IncidentsPage> page) =>
        page.FindAll("tbody tr").Where(r => r.QuerySelector("td[data-label=Mailbox]") is not null).ToList();

    private static string Cell(AngleSharp.Dom.IElement row, string label) => row.QuerySelector($"td[data-label='{label}']")!.TextContent.Trim();

    private async Task AddAdministratorAsync(string id, string email)
    {
        await using var scope = Context.Services.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        if (!await roles.RoleExistsAsync(Roles.SystemAdministrator))
        {
            Assert.True((await roles.CreateAsync(new IdentityRole(Roles.SystemAdministrator))).Succeeded);
        }

        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = new ApplicationUser { Id = id, UserName = email, Email = email };
        Assert.True((await users.CreateAsync(user)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, Roles.SystemAdministrator)).Succeeded);
    }

    /// <summary>A mailbox of its own with one incident, as checks would have left it.</summary>
    private async Task<Guid> AddIncidentAsync(string mailboxName, DateTimeOffset openedAt, DateTimeOffset? recoveredAt, string? acknowledgedBy = null)
    {
        await using var db = await Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var mailbox = new Mailbox
        {
            Id = Guid.NewGuid(), DisplayName = mailboxName, ServerName = "imap.example.com", LoginUsername = "support@example.com",
            Enabled = false, CreatedAt = openedAt.AddDays(-30), UpdatedAt = openedAt,
        };
        db.Mailboxes.Add(mailbox);
        var (incident, opened) = Incident.Open(
            mailbox.Id, mailboxName, mailbox.ServerName, 993, mailbox.LoginUsername, true, CheckStage.Authenticate,
            CheckErrorKind.CredentialsRejected, "Authentication failed.", openedAt);
        db.Incidents.Add(incident);
        db.IncidentChanges.Add(opened);
        if (acknowledgedBy is not null)
        {
            db.IncidentChanges.Add(incident.Acknowledge("someone", acknowledgedBy, null, openedAt.AddMinutes(1)));
        }

        if (recoveredAt is { } at)
        {
            db.IncidentChanges.Add(incident.Recover(at));
        }

        await db.SaveChangesAsync();
        return incident.Id;
    }
}
