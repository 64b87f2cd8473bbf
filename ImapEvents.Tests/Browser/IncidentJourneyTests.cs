using System.Globalization;
using System.Text.RegularExpressions;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImapEvents.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class IncidentJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task AWrongPassword_OpensAnIncident_WhichIsAcknowledged_AndRecoversOnceThePasswordIsFixed()
    {
        var dovecot = await DovecotServer.GetAsync();
        var (user, password) = await dovecot.CreateAccountAsync();
        var name = $"Incident journey {Guid.NewGuid().ToString("N")[..6]}";
        var page = await fixture.OpenAsAdministratorAsync("/mailboxes");

        var dialog = await BrowserFixture.OpenFormDialogAsync(page, "Add mailbox", "Display name");
        await FillAsync(dialog, name, dovecot, user, "not-the-password");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        // Saving checks it at once; Check now fails it a second time.
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await Expect(row.GetByRole(AriaRole.Cell).Nth(2)).ToContainTextAsync("IMAP Login Failed", new() { Timeout = 30_000 });
        await row.GetByRole(AriaRole.Button, new() { Name = $"Check now: {name}" }).ClickAsync();
        await Expect(row.GetByRole(AriaRole.Cell).Nth(2)).ToContainTextAsync("IMAP Login Failed ×2", new() { Timeout = 30_000 });
        await Expect(row.GetByRole(AriaRole.Link, new() { NameRegex = new Regex("^Failing since ") })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "50-mailbox-failing-since");

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main navigation" }).GetByRole(AriaRole.Link, new() { Name = "Incidents", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Incidents", Exact = true })).ToBeVisibleAsync();
        var incidentRow = page.GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        var cells = incidentRow.GetByRole(AriaRole.Cell);
        await Expect(cells.Nth(1)).ToContainTextAsync("Open");
        await Expect(cells.Nth(1)).ToContainTextAsync("Log in failed");
        await Expect(cells.Nth(3)).ToContainTextAsync("so far");
        await Expect(cells.Nth(4)).ToHaveTextAsync("2");
        await Expect(cells.Nth(5)).ToHaveTextAsync("Not acknowledged");
        await BrowserFixture.ScreenshotAsync(page, "51-incidents-open");

        // The dashboard lists it among the open incidents, and counts its downtime.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main navigation" }).GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true }).ClickAsync();
        var open = page.GetByRole(AriaRole.Region, new() { Name = "Open incidents" });
        await Expect(open.GetByRole(AriaRole.Listitem).Filter(new() { HasText = name })).ToContainTextAsync("Log in failed since");
        await Expect(open.GetByRole(AriaRole.Listitem).Filter(new() { HasText = name })).ToContainTextAsync("2 failed checks · not acknowledged");
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Availability, last 30 days" }).GetByRole(AriaRole.Row).Filter(new() { HasText = name }))
            .ToContainTextAsync("in 1 incident, one open");
        await BrowserFixture.ScreenshotAsync(page, "51a-dashboard-open-incident");

        await open.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Incident: {name}" })).ToBeVisibleAsync();
        var acknowledge = await BrowserFixture.OpenFormDialogAsync(page, "Acknowledge", "Note");
        await acknowledge.GetByLabel("Note").FillAsync("The password was rotated; updating it now.");
        await BrowserFixture.ScreenshotAsync(page, "52-acknowledge-dialog");
        await acknowledge.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);
        var acknowledgement = page.GetByRole(AriaRole.Region, new() { Name = "Acknowledgement" });
        await Expect(acknowledgement).ToContainTextAsync($"Acknowledged by {ImapEventsApp.AdminEmail} on");
        await Expect(acknowledgement).ToContainTextAsync("The password was rotated; updating it now.");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Timeline" })).ToContainTextAsync($"Acknowledged by {ImapEventsApp.AdminEmail}");
        await BrowserFixture.ScreenshotAsync(page, "53-incident-acknowledged");
        var incidentAddress = page.Url;

        // The password is fixed, and checked.
        await page.GotoAsync("/mailboxes");
        await BrowserFixture.WaitForInteractivityAsync(page);
        var edit = await BrowserFixture.OpenFormDialogAsync(page, $"Edit {name}", "Display name");
        await edit.GetByLabel("Password").FillAsync(password);
        await edit.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);
        await row.GetByRole(AriaRole.Button, new() { Name = $"Check now: {name}" }).ClickAsync();
        await Expect(row.GetByRole(AriaRole.Cell).Nth(2)).ToContainTextAsync("OK", new() { Timeout = 30_000 });
        await Expect(row.GetByRole(AriaRole.Link, new() { NameRegex = new Regex("^Failing since ") })).ToHaveCountAsync(0);

        await page.GotoAsync(incidentAddress);
        await BrowserFixture.WaitForInteractivityAsync(page);
        var summary = page.GetByRole(AriaRole.Region, new() { Name = "Summary" });
        await Expect(summary).ToContainTextAsync(new Regex(@"Duration\s*\d+ (s|min)"));
        await Expect(summary).ToContainTextAsync("Recovered");
        await Expect(summary).ToContainTextAsync(new Regex(@"Failed checks\s*2"));
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Timeline" })).ToContainTextAsync("Recovered: a check succeeded");
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Acknowledgement" })).ToContainTextAsync($"Acknowledged by {ImapEventsApp.AdminEmail} on");
        await BrowserFixture.ScreenshotAsync(page, "54-incident-recovered");

        await page.GetByRole(AriaRole.Link, new() { NameRegex = new Regex(@"^See all \d+ events$") }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/events\?incident=[0-9a-f-]{36}$"));
        var events = page.GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await Expect(events).ToHaveCountAsync(3);
        await Expect(events.First).ToContainTextAsync("IMAP Recovered");
        await Expect(events.First).ToContainTextAsync(new Regex(@"Down \d+ (s|min) · 2 failed checks"));
        await Expect(events.Nth(1)).ToContainTextAsync("IMAP Login Failed");
        await Expect(events.Nth(1)).ToContainTextAsync("Incident, failed check 2");
        await BrowserFixture.ScreenshotAsync(page, "55-events-of-an-incident");

        await page.GotoAsync("/incidents?state=closed");
        await BrowserFixture.WaitForInteractivityAsync(page);
        await Expect(page.GetByLabel("State")).ToHaveValueAsync("Closed");
        var closedCells = page.GetByRole(AriaRole.Row).Filter(new() { HasText = name }).GetByRole(AriaRole.Cell);
        await Expect(closedCells.Nth(1)).ToContainTextAsync("Recovered");
        await Expect(closedCells.Nth(5)).ToContainTextAsync(ImapEventsApp.AdminEmail);
        fixture.AssertNoBrowserErrors(page);
    }

    [Fact]
    public async Task OnAPhone_TheIncidentsPageAndAnIncident_ShowEveryValueWithoutSidewaysScrolling()
    {
        var name = $"Customer support, Europe, Middle East and Africa (shared inbox) {Guid.NewGuid().ToString("N")[..6]}";
        var incidentId = await SeedOpenIncidentAsync(name);
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = fixture.BaseUrl, ViewportSize = new() { Width = 390, Height = 844 } });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/incidents");
        await BrowserFixture.SignInAsync(page, ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);
        await BrowserFixture.WaitForInteractivityAsync(page);

        foreach (var path in new[] { "/incidents", $"/incidents/{incidentId}" })
        {
            await page.GotoAsync(path);
            await BrowserFixture.WaitForInteractivityAsync(page);
            await Expect(page.GetByText(name).First).ToBeVisibleAsync();
            await BrowserFixture.ScreenshotAsync(page, path == "/incidents" ? "56-incidents-phone" : "57-incident-phone");

            var problems = await page.EvaluateAsync<string[]>(LayoutJourneyTests.FindLayoutProblems);

            Assert.True(problems.Length == 0, $"{path} at 390×844:\n" + string.Join("\n", problems));
        }

        await context.DisposeAsync();
    }

    private async Task<Guid> SeedOpenIncidentAsync(string name)
    {
        var now = DateTimeOffset.UtcNow;
        await using var scope = fixture.App.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var mailbox = new Mailbox
        {
            Id = Guid.NewGuid(), DisplayName = name, ServerName = "imap.eu-west-1.mail.customer-support.example.com",
            LoginUsername = "emea-support-shared-inbox@customer-support.example.com", Enabled = false, CreatedAt = now.AddDays(-40), UpdatedAt = now,
        };
        db.Mailboxes.Add(mailbox);
        var (incident, opened) = Incident.Open(
            mailbox.Id, name, mailbox.ServerName, 993, mailbox.LoginUsername, true, CheckStage.Authenticate, CheckErrorKind.CredentialsRejected,
            "The server rejected the username or password: AUTHENTICATE failed. Check the login username and password of this mailbox, then use Test connection.",
            now.AddHours(-5));
        db.Incidents.Add(incident);
        db.IncidentChanges.Add(opened);
        db.IncidentChanges.Add(incident.Acknowledge("someone", "oncall-engineer-emea@customer-support.example.com", "Escalated to the mail team; they are rotating the shared password.", now.AddHours(-4)));
        await db.SaveChangesAsync();
        return incident.Id;
    }

    /// <summary>The mailbox form for the test Dovecot's TLS port and its self-signed certificate (as the mailbox journey fills it).</summary>
    private static async Task FillAsync(ILocator dialog, string displayName, DovecotServer dovecot, string user, string password)
    {
        await dialog.GetByLabel("Display name").FillAsync(displayName);
        await dialog.GetByLabel("Server name").FillAsync("localhost");
        await dialog.GetByLabel("Server port").FillAsync(dovecot.TlsPort.ToString(CultureInfo.InvariantCulture));
        await dialog.GetByLabel("Accept untrusted certificate").CheckAsync();
        await dialog.GetByLabel("Login username").FillAsync(user);
        await dialog.GetByLabel("Password").FillAsync(password);
        // Checked once a day: no scheduled check runs between the ones this journey counts.
        await dialog.GetByLabel("Poll interval (minutes)").FillAsync("1440");
    }
}
