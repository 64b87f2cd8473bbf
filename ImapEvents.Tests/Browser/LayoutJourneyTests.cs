using ImapEvents.Core.Text;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImapEvents.Tests.Browser;

/// <summary>
/// The lists at a laptop's 1280×800 with the navigation open, and on a 390 px phone: every value and
/// every button is on screen, nothing scrolls sideways and no text is cut.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class LayoutJourneyTests(BrowserFixture fixture)
{
    private const string LongMailbox = "Customer support, Europe, Middle East and Africa (shared inbox)";
    private const string LongServer = "imap.eu-west-1.mail.customer-support.example.com";
    private const string LongRule = "Page the on-call engineer when the EMEA support mailbox cannot log in";

    // Elements that are on screen but reach past the window, scroll sideways, or cut what they show.
    internal const string FindLayoutProblems = """
        () => {
          const problems = [];
          const width = document.documentElement.clientWidth;
          if (document.documentElement.scrollWidth > width + 1) {
            problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${width})`);
          }
          for (const element of document.querySelectorAll('main *')) {
            const style = getComputedStyle(element);
            const box = element.getBoundingClientRect();
            if (style.visibility === 'hidden' || box.width === 0 || box.height === 0) continue;
            // Screen-reader text and the native inputs MudBlazor hides behind its switches are not seen.
            if (style.clip === 'rect(0px, 0px, 0px, 0px)' || style.clipPath === 'inset(50%)' || Number(style.opacity) === 0) continue;
            const name = `<${element.tagName.toLowerCase()} class="${element.getAttribute('class') ?? ''}"> "${(element.textContent ?? '').trim().slice(0, 50)}"`;
            const wider = element.scrollWidth > element.clientWidth + 1;
            if (wider && (style.overflowX === 'auto' || style.overflowX === 'scroll')) problems.push(`${name} scrolls sideways (${element.scrollWidth} > ${element.clientWidth})`);
            if (wider && (style.overflowX === 'hidden' || style.overflowX === 'clip' || style.textOverflow === 'ellipsis')) problems.push(`${name} cuts its text`);
            if (box.right > width + 1) problems.push(`${name} reaches past the window (${Math.round(box.right)} > ${width})`);
          }
          return [...new Set(problems)];
        }
        """;

    [Theory]
    [InlineData(1280, 800, "desktop")]
    [InlineData(390, 844, "phone")]
    public async Task Lists_ShowEveryValueAndButton_WithoutSidewaysScrollingOrCutText(int width, int height, string device)
    {
        await SeedLongValuesAsync();
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = fixture.BaseUrl, ViewportSize = new() { Width = width, Height = height } });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/mailboxes");
        await BrowserFixture.SignInAsync(page, ImapEventsApp.AdminEmail, ImapEventsApp.AdminPassword);
        await BrowserFixture.WaitForInteractivityAsync(page);

        // Landmarks a screen reader jumps between.
        await Expect(page.GetByRole(AriaRole.Main)).ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Banner)).ToHaveCountAsync(1);
        if (device == "desktop")
        {
            await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main navigation" })).ToBeVisibleAsync();
        }

        foreach (var (path, value) in new[] { ("/mailboxes", LongMailbox), ("/rules", LongRule), ("/events", LongMailbox) })
        {
            await page.GotoAsync(path);
            await BrowserFixture.WaitForInteractivityAsync(page);
            await Expect(page.GetByText(value).First).ToBeVisibleAsync();
            await BrowserFixture.ScreenshotAsync(page, $"20-layout-{device}{path.Replace('/', '-')}");

            var problems = await page.EvaluateAsync<string[]>(FindLayoutProblems);

            Assert.True(problems.Length == 0, $"{path} at {width}×{height}:\n" + string.Join("\n", problems));
        }

        await context.DisposeAsync();
    }

    private async Task SeedLongValuesAsync()
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var mailboxes = scope.ServiceProvider.GetRequiredService<MailboxAdministration>();
        if (!(await mailboxes.ListAsync(new MailboxListQuery(LongMailbox, 0, 1), default)).Items.Any())
        {
            await mailboxes.CreateAsync(new MailboxSettings
            {
                DisplayName = LongMailbox,
                ServerName = LongServer,
                LoginUsername = "emea-support-shared-inbox@customer-support.example.com",
                Password = "never-used",
                Enabled = false,
            }, default);
        }

        var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);
        var rules = scope.ServiceProvider.GetRequiredService<RuleAdministration>();
        if (!(await rules.ListAsync(null, default)).Any(r => r.Name == LongRule))
        {
            var webhook = RuleAction.Create(ActionKind.CallWebhook);
            webhook.Url = "https://hooks.example.com/imapevents/on-call/emea-support";
            webhook.NewSecret = WebhookSecrets.Generate();
            var email = RuleAction.Create(ActionKind.SendEmail);
            email.Recipients = "oncall-emea@example.com, support-leads@example.com";
            email.Subject = "{EventType} on {ServerName}";
            await rules.CreateAsync(admin.Id, new EventRule
            {
                Name = LongRule,
                EventType = ImapEventType.LoginFailed,
                ServerName = "*.customer-support.example.com",
                LoginUsername = "*@customer-support.example.com",
                TimeFrom = new TimeOnly(8, 0),
                TimeTo = new TimeOnly(18, 0),
                DaysOfWeek = DaysOfWeek.Monday | DaysOfWeek.Tuesday | DaysOfWeek.Wednesday | DaysOfWeek.Thursday | DaysOfWeek.Friday,
                Actions = [webhook, email],
            }, default);
        }

        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        if (!await db.Events.AnyAsync(e => e.MailboxName == LongMailbox))
        {
            var now = DateTimeOffset.UtcNow;
            db.Events.AddRange(Enum.GetValues<ImapEventType>().Select((type, i) => new ImapEvent
            {
                Id = Guid.NewGuid(),
                Type = type,
                OccurredAt = now.AddMinutes(-i),
                MailboxName = LongMailbox,
                ServerName = LongServer,
                ServerPort = 993,
                LoginUsername = "emea-support-shared-inbox@customer-support.example.com",
                Ssl = true,
                Stage = CheckStage.Authenticate,
                ErrorKind = CheckErrorKind.CredentialsRejected,
                ErrorMessage = "The server rejected the username or password: AUTHENTICATE failed. Check the login username and password of this mailbox, then use Test connection.",
                DispatchedAt = now,
            }));
            // What a hostile server can make of an error: one unbroken word, as long as the column holds.
            db.Events.Add(new ImapEvent
            {
                Id = Guid.NewGuid(),
                Type = ImapEventType.DownloadFailed,
                OccurredAt = now.AddMinutes(-30),
                MailboxName = LongMailbox,
                ServerName = LongServer,
                ServerPort = 993,
                LoginUsername = "emea-support-shared-inbox@customer-support.example.com",
                Ssl = true,
                Stage = CheckStage.Download,
                ErrorKind = CheckErrorKind.CommandFailed,
                ErrorMessage = StoredText.Clip("The server refused a command: " + new string('x', 3000), 2000),
                DispatchedAt = now,
            });
            await db.SaveChangesAsync();
        }
    }
}
