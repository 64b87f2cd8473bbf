using ImapEvents.Core.Events;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Web.Features.Events;
using ImapEvents.Web.Features.Mailboxes;

namespace ImapEvents.Tests.Web;

public sealed class FilterAddressTests
{
    [Fact]
    public void EventFilters_ReadFromTheirOwnLink_AreTheSameFilters()
    {
        var filter = new EventFilter(ImapEventType.LoginFailed, Guid.NewGuid(), DeliveryStatus.Failed, new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 30));

        var link = filter.Link();
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(new Uri("http://localhost/"), link).Query);
        var read = EventFilter.Parse(query["type"], query["mailbox"], query["delivery"], query["from"], query["to"]);

        Assert.Equal($"events?type=LoginFailed&mailbox={filter.MailboxId}&delivery=Failed&from=2026-11-01&to=2026-11-30", link);
        Assert.Equal(filter, read);
        Assert.Equal("events", new EventFilter().Link());
    }

    [Theory]
    [InlineData("Bogus", "not-a-guid", "Nope", "yesterday", "2026-13-45")]
    [InlineData("2", "", "3", "01/11/2026", "2026-11-1")]
    [InlineData("ConnectionFailed, LoginFailed", "{}", "Failed,Delivered", "2026-11-01T00:00", " ")]
    public void EventFilterValues_ThatDoNotParse_AreLeftOut(string type, string mailbox, string delivery, string from, string to) =>
        Assert.Equal(new EventFilter(), EventFilter.Parse(type, mailbox, delivery, from, to));

    [Fact]
    public void EventFilterNames_AreReadInAnyCase() =>
        Assert.Equal(new EventFilter(ImapEventType.ImportFailed, Delivery: DeliveryStatus.Retrying), EventFilter.Parse("importfailed", null, "RETRYING", null, null));

    [Fact]
    public void AnEventFilter_CoversWholeDays_ToIncluded_AndSaysWhenTheRangeIsBackwards()
    {
        var zone = TimeZoneInfo.CreateCustomTimeZone("UTC+2", TimeSpan.FromHours(2), "UTC+2", "UTC+2");
        var query = new EventFilter(From: new DateOnly(2026, 11, 1), To: new DateOnly(2026, 11, 30)).ToQuery(2, 50, zone);

        Assert.Equal(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.FromHours(2)), query.From);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.FromHours(2)), query.To);
        // As the database takes them: UTC (PostgreSQL refuses any other offset).
        Assert.Equal(TimeSpan.Zero, query.From!.Value.Offset);
        Assert.Equal(TimeSpan.Zero, query.To!.Value.Offset);
        Assert.Equal(2, query.Page);
        Assert.Null(new EventFilter(From: new DateOnly(2026, 11, 1), To: new DateOnly(2026, 11, 1)).RangeError);
        Assert.NotNull(new EventFilter(From: new DateOnly(2026, 11, 2), To: new DateOnly(2026, 11, 1)).RangeError);
    }

    [Fact]
    public void HealthFilters_ReadFromTheirOwnLink_AndAnythingElseIsNoFilter()
    {
        foreach (var state in Enum.GetValues<MailboxHealthState>())
        {
            var link = MailboxHealthFilter.Link(state);
            Assert.Equal(state, MailboxHealthFilter.Parse(link[(link.IndexOf('=') + 1)..]));
        }

        Assert.Equal("mailboxes?health=failing", MailboxHealthFilter.Link(MailboxHealthState.Failing));
        Assert.Equal(MailboxHealthState.NotCheckedYet, MailboxHealthFilter.Parse("Not-Checked-Yet"));
        Assert.Null(MailboxHealthFilter.Parse("broken"));
        Assert.Null(MailboxHealthFilter.Parse("2"));
        Assert.Null(MailboxHealthFilter.Parse(null));
    }
}
