using Hangfire;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImapEvents.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class ActionJourneyTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Administrator_SendsATestEvent_AndSeesEachDeliveryHereAndOnTheEventsPage()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        // The first call fails, so the journey shows a failure and a recovery.
        receiver.AnswerWith(500);
        var hook = RuleAction.Create(ActionKind.CallWebhook);
        hook.Url = receiver.Url("/hooks/imap");
        hook.NewSecret = WebhookSecrets.Generate();
        var page = RuleAction.Create(ActionKind.CallWebPage);
        page.Url = receiver.Url("/tasks/new");
        var name = $"Page on-call {Guid.NewGuid():N}"[..24];
        var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);
        var saved = await fixture.App.Services.GetRequiredService<RuleAdministration>().CreateAsync(
            admin.Id, new EventRule { Name = name, EventType = ImapEventType.LoginFailed, ServerName = "imap.example.com", Actions = [hook, page] }, default);
        Assert.True(saved.Succeeded);

        var browser = await fixture.OpenAsAdministratorAsync("/rules");
        var row = browser.GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await Expect(row.GetByRole(AriaRole.Cell, new() { Name = "Call Webhook → Call Web Page" })).ToBeVisibleAsync();
        await Expect(row.GetByRole(AriaRole.Cell, new() { Name = ImapEventsApp.AdminEmail })).ToBeVisibleAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = $"Manage {name}" }).ClickAsync();
        await browser.GetByRole(AriaRole.Menuitem, new() { Name = "Send test event" }).ClickAsync();

        var dialog = browser.GetByRole(AriaRole.Dialog);
        var results = dialog.GetByRole(AriaRole.Status, new() { Name = "Test deliveries" });
        await Expect(results.GetByText("1 of 2 action(s) delivered.")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(results.GetByText("Retrying after attempt 1")).ToBeVisibleAsync();
        await Expect(results.GetByText("HTTP 500 Internal Server Error: the receiver is having a bad day")).ToBeVisibleAsync();
        await Expect(results.GetByText("Delivered (200)")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(browser, "12-send-test-event");
        // Hangfire would retry the failed call by itself 15 s from now; hold that back, so the Retry now below is what delivers it.
        await using (var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            var retrying = await db.Deliveries.AsNoTracking().SingleAsync(d => d.RuleName == name && d.Status == DeliveryStatus.Retrying);
            Assert.True(fixture.App.Services.GetRequiredService<IBackgroundJobClient>().Delete(retrying.JobId ?? ""), "the retry was already under way");
        }

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();

        await browser.GetByRole(AriaRole.Link, new() { Name = "Events" }).ClickAsync();
        var eventRow = browser.GetByRole(AriaRole.Row).Filter(new() { HasText = $"from rule \"{name}\"" });
        await Expect(eventRow.GetByText("Test", new() { Exact = true })).ToBeVisibleAsync();
        // What the event set off is in the row beneath it.
        var setOff = browser.GetByRole(AriaRole.Row).Filter(new() { Has = browser.GetByRole(AriaRole.Group, new() { Name = "Actions" }) })
            .Filter(new() { HasText = name });
        await Expect(setOff.GetByRole(AriaRole.Group, new() { Name = "Rules matched" })).ToContainTextAsync(name);
        var actions = setOff.GetByRole(AriaRole.Group, new() { Name = "Actions" });
        await Expect(actions.GetByText("Retrying after attempt 1")).ToBeVisibleAsync();
        await Expect(actions.GetByText("Delivered (200)")).ToBeVisibleAsync();
        await Expect(actions.GetByRole(AriaRole.Link, new() { NameRegex = new System.Text.RegularExpressions.Regex("^job ") })).ToHaveCountAsync(2);
        await BrowserFixture.ScreenshotAsync(browser, "13-events-with-deliveries");
        await actions.GetByRole(AriaRole.Button, new() { Name = "1 attempt" }).First.ClickAsync();
        var attemptsDialog = browser.GetByRole(AriaRole.Dialog);
        await Expect(attemptsDialog.GetByRole(AriaRole.Columnheader, new() { Name = "Response" })).ToBeVisibleAsync();
        await Expect(attemptsDialog.GetByRole(AriaRole.Row).Nth(1).GetByRole(AriaRole.Cell)).ToHaveCountAsync(6);
        await BrowserFixture.ScreenshotAsync(browser, "19-delivery-attempts");
        await attemptsDialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
        await Expect(browser.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);

        // A few incidents of the last days, so the dashboard's chart has bars to show.
        await using (var db = await fixture.App.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            var now = DateTimeOffset.UtcNow;
            db.Events.AddRange(Enumerable.Range(0, 9).Select(i => new ImapEvent
            {
                Id = Guid.NewGuid(),
                Type = i % 3 == 0 ? ImapEventType.DownloadFailed : ImapEventType.ConnectionFailed,
                // Whole events, as checks store them: the open Events page shows them as they arrive.
                Stage = i % 3 == 0 ? CheckStage.Download : CheckStage.Connect,
                ErrorKind = i % 3 == 0 ? CheckErrorKind.Protocol : CheckErrorKind.ConnectionRefused,
                ErrorMessage = i % 3 == 0 ? "The folder could not be opened." : "Connection refused.",
                OccurredAt = now.AddDays(-(i % 4)),
                MailboxName = "Sales",
                ServerName = "imap.sales.example.com",
                ServerPort = 993,
                LoginUsername = "sales@example.com",
                DispatchedAt = now,
            }));
            await db.SaveChangesAsync();
        }

        await browser.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true }).ClickAsync();
        await Expect(browser.GetByRole(AriaRole.Img, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Events per day over the last 14 days: IMAP Connection Failed [0-9]+") })).ToBeVisibleAsync();
        await Expect(browser.GetByRole(AriaRole.Heading, new() { Name = "Action deliveries, last 24 hours" })).ToBeVisibleAsync();
        await Expect(browser.GetByRole(AriaRole.Heading, new() { Name = "Events, last 14 days" })).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(browser, "18-dashboard");

        // The Delivery filter, also reachable by link: the test event has a retrying action and no failed one.
        await browser.GotoAsync("/events?delivery=Retrying");
        await BrowserFixture.WaitForInteractivityAsync(browser);
        await Expect(browser.GetByLabel("Delivery")).ToHaveValueAsync("Retrying");
        await Expect(browser.GetByRole(AriaRole.Row).Filter(new() { HasText = $"from rule \"{name}\"" })).ToBeVisibleAsync();
        await browser.GotoAsync("/events?delivery=Failed");
        await BrowserFixture.WaitForInteractivityAsync(browser);
        await Expect(browser.GetByText("No event matches these filters.")).ToBeVisibleAsync();

        // The receiver has recovered: "Retry now" sends the failed call again without waiting for the back-off.
        await browser.GotoAsync("/events");
        await BrowserFixture.WaitForInteractivityAsync(browser);
        await browser.EvaluateAsync("() => window.retriedHere = 'yes'");
        // Whichever of the two calls met the 500.
        await actions.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Retry Call (Webhook|Web Page) now$") }).ClickAsync();
        await Expect(browser.GetByText(new System.Text.RegularExpressions.Regex("^Call (Webhook|Web Page) queued again"))).ToBeVisibleAsync();
        await receiver.WaitForRequestAsync(3);
        // The new attempt shows on the open page, without a reload.
        await Expect(actions.GetByText("Delivered (200)")).ToHaveCountAsync(2);
        await Expect(actions.GetByRole(AriaRole.Button, new() { Name = "2 attempts" })).ToBeVisibleAsync();
        Assert.Equal("yes", await browser.EvaluateAsync<string>("() => window.retriedHere"));
        await BrowserFixture.ScreenshotAsync(browser, "32-retried-without-reload");
        fixture.AssertNoBrowserErrors(browser);
    }
}
