using System.Globalization;
using System.Text.RegularExpressions;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImapEvents.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class FilterJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task EventFilters_StandInTheAddress_SoAFilteredViewSurvivesAReload()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var first = await CreateMailboxAsync($"Filter A {tag}", enabled: false);
        var second = await CreateMailboxAsync($"Filter B {tag}", enabled: false);
        var now = DateTimeOffset.UtcNow;
        await StoreEventsAsync(
            Event(first, ImapEventType.LoginFailed, now),
            Event(first, ImapEventType.ConnectionFailed, now),
            Event(second, ImapEventType.LoginFailed, now),
            Event(first, ImapEventType.LoginFailed, now.AddDays(-3)));
        var page = await fixture.OpenAsAdministratorAsync("/events");
        await Expect(Rows(page, tag)).ToHaveCountAsync(4);

        await page.GetByLabel("Event Type").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "IMAP Login Failed" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/events\?type=LoginFailed$"));
        await page.GetByLabel("Mailbox").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = first.DisplayName }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($@"/events\?type=LoginFailed&mailbox={first.Id}$"));
        // Typed as the app shows dates (the server's culture); the address keeps it in ISO form.
        var today = DateTime.Now.Date;
        await page.GetByLabel("From").FillAsync(today.ToString(CultureInfo.CurrentCulture.DateTimeFormat.ShortDatePattern, CultureInfo.CurrentCulture));
        await page.GetByLabel("From").PressAsync("Tab");
        await Expect(page).ToHaveURLAsync(new Regex($@"&from={today:yyyy-MM-dd}$"));
        await Expect(Rows(page, tag)).ToHaveCountAsync(1);

        await page.ReloadAsync();
        await BrowserFixture.WaitForInteractivityAsync(page);
        await Expect(page.GetByLabel("Event Type")).ToHaveValueAsync("IMAP Login Failed");
        await Expect(page.GetByLabel("Mailbox")).ToHaveValueAsync(first.DisplayName);
        await Expect(page.GetByLabel("From")).ToHaveValueAsync(today.ToString(CultureInfo.CurrentCulture.DateTimeFormat.ShortDatePattern, CultureInfo.CurrentCulture));
        await Expect(Rows(page, tag)).ToHaveCountAsync(1);
        await Expect(Rows(page, tag).GetByText("IMAP Login Failed")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "33-events-filtered-after-reload");

        // Values that mean nothing (mistyped, outdated, or a mailbox deleted since) are ignored, not an error.
        await page.GotoAsync($"/events?type=Bogus&mailbox={Guid.NewGuid()}&delivery=1&from=yesterday&to=2026-13-45");
        await BrowserFixture.WaitForInteractivityAsync(page);
        await Expect(page.GetByLabel("Event Type")).ToHaveValueAsync("");
        await Expect(page.GetByLabel("Mailbox")).ToHaveValueAsync("");
        await Expect(Rows(page, tag)).ToHaveCountAsync(4);

        // A range that ends before it starts says so next to the dates, and keeps saying it while it is wrong.
        await page.GotoAsync("/events?from=2026-12-05&to=2026-12-01");
        await BrowserFixture.WaitForInteractivityAsync(page);
        await Expect(page.GetByText("The start is after the end of the range.")).ToBeVisibleAsync();
        await page.GetByLabel("From").FillAsync("2026-12-04");
        await page.GetByLabel("From").PressAsync("Enter");
        await Expect(page.GetByText("The start is after the end of the range.")).ToBeVisibleAsync();
        fixture.AssertNoBrowserErrors(page);
    }

    [Fact]
    public async Task DashboardFigures_LeadToTheListsTheyCount()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var failing = await CreateMailboxAsync($"Failing {tag}", enabled: true);
        var disabled = await CreateMailboxAsync($"Disabled {tag}", enabled: false);
        // Saving checked it at once, against a closed port.
        await Eventually.TrueAsync(
            async () => (await fixture.App.Services.GetRequiredService<MailboxAdministration>()
                .ListAsync(new MailboxListQuery(failing.DisplayName, Health: MailboxHealthState.Failing), default)).TotalCount == 1,
            "the new mailbox was not checked");
        await StoreEventsAsync(Event(disabled, ImapEventType.DownloadFailed, DateTimeOffset.UtcNow));
        var page = await fixture.OpenAsAdministratorAsync("/");

        await page.GetByRole(AriaRole.Region, new() { Name = "Mailboxes" }).GetByRole(AriaRole.Link, new() { NameRegex = new Regex(@"^Failing \d+$") }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/mailboxes\?health=failing$"));
        await Expect(page.GetByLabel("Health")).ToHaveValueAsync("Failing");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = failing.DisplayName })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = disabled.DisplayName })).ToHaveCountAsync(0);
        await page.ReloadAsync();
        await BrowserFixture.WaitForInteractivityAsync(page);
        await Expect(page.GetByLabel("Health")).ToHaveValueAsync("Failing");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = disabled.DisplayName })).ToHaveCountAsync(0);
        await BrowserFixture.ScreenshotAsync(page, "34-mailboxes-failing");

        await page.GotoAsync("/");
        await BrowserFixture.WaitForInteractivityAsync(page);
        var eventTypes = page.GetByRole(AriaRole.Region, new() { Name = "Events, last 14 days" });
        await BrowserFixture.ScreenshotAsync(page, "35-dashboard-links");
        await eventTypes.GetByRole(AriaRole.Link, new() { NameRegex = new Regex(@"^IMAP Download Failed \d+$") }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/events\?type=DownloadFailed&from=\d{4}-\d{2}-\d{2}$"));
        await Expect(page.GetByLabel("Event Type")).ToHaveValueAsync("IMAP Download Failed");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = disabled.DisplayName })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = failing.DisplayName })).ToHaveCountAsync(0);

        await page.GotoAsync("/");
        await BrowserFixture.WaitForInteractivityAsync(page);
        await page.GetByRole(AriaRole.Region, new() { Name = "Action deliveries, last 24 hours" }).GetByRole(AriaRole.Link, new() { NameRegex = new Regex(@"^Failed \d+$") }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/events\?delivery=Failed$"));
        await Expect(page.GetByLabel("Delivery")).ToHaveValueAsync("Failed");
        fixture.AssertNoBrowserErrors(page);
    }

    /// <summary>The Events page's rows of this test's events (one per event: the row beneath it names no mailbox).</summary>
    private static ILocator Rows(IPage page, string tag) => page.GetByRole(AriaRole.Row).Filter(new() { HasText = tag });

    private async Task<(Guid Id, string DisplayName)> CreateMailboxAsync(string name, bool enabled)
    {
        var saved = await fixture.App.Services.GetRequiredService<MailboxAdministration>().CreateAsync(new MailboxSettings
        {
            DisplayName = name,
            ServerName = "127.0.0.1",
            ServerPort = LoopbackTcpServer.ClosedPort(),
            Security = ConnectionSecurity.None,
            LoginUsername = "nobody",
            Password = "irrelevant",
            PollIntervalMinutes = 60,
            Enabled = enabled,
        }, default);
        Assert.True(saved.Succeeded);
        return (saved.Id!.Value, name);
    }

    private static ImapEvent Event((Guid Id, string DisplayName) mailbox, ImapEventType type, DateTimeOffset at)
    {
        var stage = type switch
        {
            ImapEventType.ConnectionFailed => CheckStage.Connect,
            ImapEventType.LoginFailed => CheckStage.Authenticate,
            ImapEventType.DownloadFailed => CheckStage.Download,
            ImapEventType.ImportFailed => CheckStage.Import,
            _ => CheckStage.Connect,
        };
        return new ImapEvent
        {
            Id = Guid.NewGuid(),
            Type = type,
            OccurredAt = at,
            MailboxId = mailbox.Id,
            MailboxName = mailbox.DisplayName,
            ServerName = "imap.example.com",
            ServerPort = 993,
            LoginUsername = "support@example.com",
            Ssl = true,
            Stage = stage,
            ErrorKind = CheckErrorKind.Protocol,
            ErrorMessage = "Something went wrong.",
            DispatchedAt = at,
        };
    }

    private async Task StoreEventsAsync(params ImapEvent[] events)
    {
        await using var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        db.Events.AddRange(events);
        await db.SaveChangesAsync();
    }
}
