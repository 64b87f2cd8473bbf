using Bunit;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Tests.TestSupport;
using ImapEvents.Web.Components.Layout;
using ImapEvents.Web.Features.Mailboxes;
using ImapEvents.Web.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.Web;

/// <summary>Times are shown as the reader's clock has them: the zone their browser names, not the server's (often UTC).</summary>
public sealed class ViewerTimeTests : ComponentTestBase
{
    private static readonly DateTimeOffset Started = new(2026, 11, 27, 9, 5, 0, TimeSpan.Zero);

    [Fact]
    public void TheZoneTheBrowserNames_IsTheOneEveryTimeIsShownIn_AndTheMenuSaysWhichItIs()
    {
        var viewer = Context.Services.GetRequiredService<ViewerTime>();
        viewer.Use("Pacific/Auckland");

        var health = Render<MailboxHealth>(p => p.Add(h => h.Row, new MailboxRow(
            Guid.NewGuid(), "Support", "imap.example.com", 993, ConnectionSecurity.SslOnConnect, false, "support@example.com", "INBOX", 5, true,
            Started.AddMinutes(-10), CheckOutcome.Succeeded, CheckStage.Import, null, 0, 12,
            Started, "The ImapEvents process running this check ended before it finished.")));
        var menu = Render<NavMenu>();

        // 09:05 UTC is 22:05 the same day in Auckland (summer time, UTC+13).
        var auckland = new DateTimeOffset(2026, 11, 27, 22, 5, 0, TimeSpan.FromHours(13));
        Assert.Contains($"The check started {auckland:g} was interrupted:", health.Find(".mailbox-interrupted").TextContent, StringComparison.Ordinal);
        Assert.Contains("Times are in Pacific/Auckland.", menu.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAZoneFromTheBrowser_TimesAreTheServers_AndTheMenuSaysSo()
    {
        var viewer = Context.Services.GetRequiredService<ViewerTime>();
        viewer.Use(null);
        viewer.Use("Mars/Olympus");
        viewer.Use(new string('A', 5_000));

        Assert.False(viewer.FromBrowser);
        Assert.Equal(TimeZoneInfo.Local, viewer.Zone);
        Assert.Equal(Started.ToLocalTime().ToString("g"), viewer.Text(Started));
        Assert.Contains($"Times are in {viewer.ZoneName}, the server's zone.", Render<NavMenu>().Markup, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Etc/UTC", "UTC")]
    [InlineData("UTC", "UTC")]
    [InlineData("Europe/Berlin", "Europe/Berlin")]
    public void TheZoneIsNamedAsAPersonKnowsIt(string zone, string name)
    {
        var viewer = new ViewerTime();
        viewer.Use(zone);
        Assert.True(viewer.FromBrowser);
        Assert.Equal(name, viewer.ZoneName);
    }
}
