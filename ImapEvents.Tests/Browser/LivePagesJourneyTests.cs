using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImapEvents.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class LivePagesJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task TheEventsPageAndTheDashboard_ShowANewEvent_WithoutBeingReloaded()
    {
        var name = $"Closed port {Guid.NewGuid():N}"[..20];
        var events = await fixture.OpenAsAdministratorAsync("/events");
        await Expect(events.GetByRole(AriaRole.Heading, new() { Name = "Events", Exact = true })).ToBeVisibleAsync();
        var dashboard = await fixture.OpenAsAdministratorAsync("/");
        await Expect(dashboard.GetByRole(AriaRole.Heading, new() { Name = "Recent events" })).ToBeVisibleAsync();
        // A reload or a navigation would lose these.
        await events.EvaluateAsync("() => window.openedOnce = 'yes'");
        await dashboard.EvaluateAsync("() => window.openedOnce = 'yes'");

        // A new mailbox is checked at once; against a port nobody listens on, the check stores an IMAP Connection Failed event.
        var saved = await fixture.App.Services.GetRequiredService<MailboxAdministration>().CreateAsync(new MailboxSettings
        {
            DisplayName = name,
            ServerName = "127.0.0.1",
            ServerPort = LoopbackTcpServer.ClosedPort(),
            Security = ConnectionSecurity.None,
            LoginUsername = "nobody",
            Password = "irrelevant",
            PollIntervalMinutes = 60,
        }, default);
        Assert.True(saved.Succeeded);

        var row = events.GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await Expect(row.GetByText("IMAP Connection Failed")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        var recent = dashboard.GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await Expect(recent.GetByText("IMAP Connection Failed")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(events, "30-events-live");
        await BrowserFixture.ScreenshotAsync(dashboard, "31-dashboard-live");

        Assert.Equal("yes", await events.EvaluateAsync<string>("() => window.openedOnce"));
        Assert.Equal("yes", await dashboard.EvaluateAsync<string>("() => window.openedOnce"));
        fixture.AssertNoBrowserErrors(events);
        fixture.AssertNoBrowserErrors(dashboard);
    }
}
