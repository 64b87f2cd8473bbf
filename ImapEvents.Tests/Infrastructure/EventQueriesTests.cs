using ImapEvents.Core.Events;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Tests.Infrastructure;

public sealed class EventQueriesTests(ActionFixture fixture) : IClassFixture<ActionFixture>
{
    [Fact]
    public async Task TheDashboardChart_CountsEventsPerDayOfTheViewersZoneAndType_LeavingOutTestsAndOlderDays()
    {
        var now = new DateTimeOffset(2026, 11, 27, 0, 30, 0, TimeSpan.Zero);
        ImapEvent At(DateTimeOffset when, ImapEventType type, bool test = false) => new()
        {
            Id = Guid.NewGuid(), Type = type, OccurredAt = when, IsTest = test, MailboxName = "m", ServerName = "s", LoginUsername = "u", DispatchedAt = when,
        };
        await using (var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            db.Events.AddRange(
                At(now.AddMinutes(-10), ImapEventType.LoginFailed),              // today, 00:20 UTC
                At(now.AddMinutes(-40), ImapEventType.LoginFailed),              // yesterday, 23:50 UTC
                At(now.AddMinutes(-5), ImapEventType.LoginFailed),
                At(now.AddDays(-3), ImapEventType.ConnectionFailed),
                At(now.AddDays(-14), ImapEventType.ConnectionFailed),            // before the window
                At(now.AddMinutes(-1), ImapEventType.ImportFailed, test: true)); // a test, not an incident
            await db.SaveChangesAsync();
        }

        var histogram = await fixture.Service<EventQueries>().DailyCountsAsync(now, 14, TimeZoneInfo.Utc, default);

        Assert.Equal(14, histogram.Days.Count);
        Assert.Equal(new DateOnly(2026, 11, 27), histogram.Days[^1]);
        Assert.Equal(new DateOnly(2026, 11, 14), histogram.Days[0]);
        Assert.Equal(2, histogram.CountsByType[ImapEventType.LoginFailed][13]);
        Assert.Equal(1, histogram.CountsByType[ImapEventType.LoginFailed][12]);
        Assert.Equal(1, histogram.CountsByType[ImapEventType.ConnectionFailed][10]);
        Assert.Equal(1, histogram.CountsByType[ImapEventType.ConnectionFailed].Sum());
        Assert.Equal(0, histogram.CountsByType[ImapEventType.ImportFailed].Sum());

        // In New York it is still the evening of the 26th: the three login failures fell on that one day.
        var newYork = await fixture.Service<EventQueries>().DailyCountsAsync(now, 14, TimeZoneInfo.FindSystemTimeZoneById("America/New_York"), default);
        Assert.Equal(new DateOnly(2026, 11, 26), newYork.Days[^1]);
        Assert.Equal(3, newYork.CountsByType[ImapEventType.LoginFailed][13]);
        Assert.Equal(0, newYork.CountsByType[ImapEventType.LoginFailed][12]);
        Assert.Equal(1, newYork.CountsByType[ImapEventType.ConnectionFailed][10]);
        Assert.Equal(1, newYork.CountsByType[ImapEventType.ConnectionFailed].Sum());
    }

    [Fact]
    public async Task ADayInTheReadersZone_FindsTheEventsOfThatDay_WhateverItsOffset()
    {
        // 23:30 on the 19th and 00:30 on the 20th in New York (UTC-5 in November).
        // (No other test of this class has events in 2025.)
        ImapEvent At(DateTimeOffset when) => new()
        {
            Id = Guid.NewGuid(), Type = ImapEventType.ConnectionFailed, OccurredAt = when, MailboxName = "m", ServerName = "s", LoginUsername = "u", DispatchedAt = when,
        };
        var evening = At(new DateTimeOffset(2025, 11, 20, 4, 30, 0, TimeSpan.Zero));
        var night = At(new DateTimeOffset(2025, 11, 20, 5, 30, 0, TimeSpan.Zero));
        await using (var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            db.Events.AddRange(evening, night);
            await db.SaveChangesAsync();
        }

        var newYorkDay = new DateTimeOffset(2025, 11, 20, 0, 0, 0, TimeSpan.FromHours(-5));
        var page = await fixture.Service<EventQueries>().ListWithRulesAsync(new EventQuery(From: newYorkDay, To: newYorkDay.AddDays(1)), default);

        Assert.Equal(night.Id, Assert.Single(page.Items).Event.Id);
    }
}
