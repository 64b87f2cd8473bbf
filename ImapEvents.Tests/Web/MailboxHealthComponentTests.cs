using Bunit;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Tests.TestSupport;
using ImapEvents.Web.Features.Mailboxes;

namespace ImapEvents.Tests.Web;

public sealed class MailboxHealthComponentTests : ComponentTestBase
{
    private static readonly DateTimeOffset Finished = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    private static MailboxRow Row(DateTimeOffset? interruptedCheckStarted) => new(
        Guid.NewGuid(), "Support", "imap.example.com", 993, ConnectionSecurity.SslOnConnect, false, "support@example.com", "INBOX", 5, true,
        Finished, CheckOutcome.Succeeded, CheckStage.Import, null, 0, 12,
        interruptedCheckStarted, "The ImapEvents process running this check ended before it finished.");

    [Fact]
    public void AnInterruptedCheck_IsShownInWords_UntilACheckFinishesAfterIt()
    {
        var interrupted = Render<MailboxHealth>(p => p.Add(h => h.Row, Row(Finished.AddMinutes(5))));
        var older = Render<MailboxHealth>(p => p.Add(h => h.Row, Row(Finished.AddMinutes(-5))));

        var text = interrupted.Find(".mailbox-interrupted").TextContent;
        Assert.Contains($"The check started {Finished.AddMinutes(5).ToLocalTime():g} was interrupted:", text, StringComparison.Ordinal);
        Assert.Contains("The ImapEvents process running this check ended before it finished.", text, StringComparison.Ordinal);
        Assert.Contains("OK", interrupted.Markup, StringComparison.Ordinal);
        Assert.Empty(older.FindAll(".mailbox-interrupted"));
    }
}
