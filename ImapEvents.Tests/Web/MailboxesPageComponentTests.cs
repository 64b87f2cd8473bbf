using Bunit;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using ImapEvents.Web.Features.Mailboxes;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace ImapEvents.Tests.Web;

public sealed class MailboxesPageComponentTests : ServiceComponentTestBase
{
    [Fact]
    public async Task CheckNow_SaysTheCheckIsQueued_AndWaits_UntilACheckFinishedAfterIt_EvenOneThatChangedNothing()
    {
        // No job server here: the check stays queued until this test plays its finishing.
        var created = await Service<MailboxAdministration>().CreateAsync(new MailboxSettings
        {
            DisplayName = "Support inbox", ServerName = "imap.example.com", LoginUsername = "support@example.com", Password = "never-used", Enabled = false,
        }, default);
        var id = created.Id!.Value;
        Render<MudPopoverProvider>();
        var page = Render<MailboxesPage>();
        var button = () => page.Find("button[aria-label='Check now: Support inbox']");
        page.WaitForAssertion(() => Assert.False(button().HasAttribute("disabled")));

        await page.InvokeAsync(() => button().Click());

        page.WaitForAssertion(() =>
        {
            Assert.Equal("Check now queued…", page.Find(".mailbox-check-asked").TextContent.Trim());
            Assert.True(button().HasAttribute("disabled"));
        });

        // A check finishes that changed nothing, so it tells no page: the page, waiting for it, looks again by itself.
        await using (var db = await Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            db.MailboxStatuses.Add(new MailboxStatus { MailboxId = id, LastCheckAt = DateTimeOffset.UtcNow.AddSeconds(1), LastOutcome = CheckOutcome.Succeeded, LastStage = CheckStage.Import });
            await db.SaveChangesAsync();
        }

        page.WaitForAssertion(
            () =>
            {
                Assert.Empty(page.FindAll(".mailbox-check-asked"));
                Assert.False(button().HasAttribute("disabled"));
            },
            TimeSpan.FromSeconds(10));
    }
}
