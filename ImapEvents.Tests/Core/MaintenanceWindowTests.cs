using ImapEvents.Core.Maintenance;
using ImapEvents.Core.Rules;

namespace ImapEvents.Tests.Core;

public sealed class MaintenanceWindowTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly Guid Mailbox = Guid.NewGuid();

    private static DateTimeOffset Utc(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, TimeSpan.Zero);

    private static MaintenanceWindow Weekly(string from, string to, DaysOfWeek days = DaysOfWeek.None, string? zone = "UTC") => new()
    {
        Name = "weekly",
        Recurrence = MaintenanceRecurrence.Weekly,
        TimeFrom = TimeOnly.Parse(from, System.Globalization.CultureInfo.InvariantCulture),
        TimeTo = TimeOnly.Parse(to, System.Globalization.CultureInfo.InvariantCulture),
        Days = days,
        TimeZoneId = zone,
    };

    private static MaintenanceWindow Once(DateTimeOffset starts, DateTimeOffset ends) => new()
    {
        Name = "once",
        Recurrence = MaintenanceRecurrence.Once,
        StartsAt = starts,
        EndsAt = ends,
    };

    [Fact]
    public void AOneOffWindow_IsOnFromItsStart_UpToButNotAtItsEnd()
    {
        var window = Once(Utc(12, 10, 22), Utc(12, 11, 2));

        Assert.False(window.IsActive(Utc(12, 10, 21, 59), Berlin));
        Assert.True(window.IsActive(Utc(12, 10, 22), Berlin));
        Assert.True(window.IsActive(Utc(12, 11, 1, 59), Berlin));
        Assert.False(window.IsActive(Utc(12, 11, 2), Berlin));
    }

    [Fact]
    public void AOneOffWindow_HasNoNextPeriod_OnceItEnded()
    {
        var window = Once(Utc(12, 10, 22), Utc(12, 11, 2));

        Assert.Equal(new MaintenancePeriod(Utc(12, 10, 22), Utc(12, 11, 2)), window.CurrentOrNext(Utc(12, 1, 0), Berlin));
        Assert.Null(window.CurrentOrNext(Utc(12, 11, 2), Berlin));
    }

    [Fact]
    public void AWeeklyWindow_IsOnOnItsDays_BetweenItsTimes()
    {
        // 7 December 2026 is a Monday.
        var window = Weekly("09:00", "10:00", DaysOfWeek.Monday);

        Assert.True(window.IsActive(Utc(12, 7, 9, 30), TimeZoneInfo.Utc));
        Assert.False(window.IsActive(Utc(12, 7, 10), TimeZoneInfo.Utc));
        Assert.False(window.IsActive(Utc(12, 7, 8, 59), TimeZoneInfo.Utc));
        Assert.False(window.IsActive(Utc(12, 8, 9, 30), TimeZoneInfo.Utc));
    }

    [Fact]
    public void AWeeklyWindowWithoutDays_IsOnEveryDay()
    {
        var window = Weekly("09:00", "10:00");

        Assert.All(Enumerable.Range(7, 7), day => Assert.True(window.IsActive(Utc(12, day, 9, 30), TimeZoneInfo.Utc)));
    }

    [Fact]
    public void AWindowThatWrapsPastMidnight_BelongsToTheDayItStarts()
    {
        // Friday 22:00 to Saturday 02:00; 11 December 2026 is a Friday.
        var window = Weekly("22:00", "02:00", DaysOfWeek.Friday);

        Assert.True(window.IsActive(Utc(12, 11, 23), TimeZoneInfo.Utc));
        Assert.True(window.IsActive(Utc(12, 12, 1, 59), TimeZoneInfo.Utc));
        Assert.False(window.IsActive(Utc(12, 12, 2), TimeZoneInfo.Utc));
        // The early hours of Friday belong to Thursday's window, which is not chosen; Saturday night is not either.
        Assert.False(window.IsActive(Utc(12, 11, 1), TimeZoneInfo.Utc));
        Assert.False(window.IsActive(Utc(12, 12, 23), TimeZoneInfo.Utc));
    }

    [Fact]
    public void AWeeklyWindow_ReadsItsDaysAndTimes_InItsOwnZone()
    {
        // Monday 09:00-10:00 in New York (EST, UTC-5 in December) is 14:00-15:00 UTC.
        var window = Weekly("09:00", "10:00", DaysOfWeek.Monday, "America/New_York");

        Assert.True(window.IsActive(Utc(12, 7, 14, 30), TimeZoneInfo.Utc));
        Assert.False(window.IsActive(Utc(12, 7, 9, 30), TimeZoneInfo.Utc));
    }

    [Fact]
    public void AWeeklyWindowsDay_IsTheDayInItsZone_NotInUtc()
    {
        // Saturday 01:00-03:00 in Tokyo (UTC+9) is Friday 16:00-18:00 UTC.
        var window = Weekly("01:00", "03:00", DaysOfWeek.Saturday, "Asia/Tokyo");

        Assert.True(window.IsActive(Utc(12, 11, 16, 30), TimeZoneInfo.Utc));
        Assert.False(window.IsActive(Utc(12, 12, 1, 30), TimeZoneInfo.Utc));
    }

    [Fact]
    public void AWeeklyWindowWithoutAZone_UsesTheServersZone()
    {
        var window = Weekly("09:00", "10:00", DaysOfWeek.Monday, zone: null);

        // 09:30 in Berlin (CET, UTC+1) on Monday 7 December.
        Assert.True(window.IsActive(Utc(12, 7, 8, 30), Berlin));
        Assert.False(window.IsActive(Utc(12, 7, 9, 30), Berlin));
    }

    [Fact]
    public void AWeeklyWindow_KeepsItsWallClockTimes_AcrossDaylightSavingTime()
    {
        var window = Weekly("09:00", "10:00", DaysOfWeek.Monday, "Europe/Berlin");

        // 09:30 is 08:30 UTC in winter (CET) and 07:30 UTC in summer (CEST).
        Assert.True(window.IsActive(Utc(1, 5, 8, 30), TimeZoneInfo.Utc));
        Assert.True(window.IsActive(Utc(7, 6, 7, 30), TimeZoneInfo.Utc));
        Assert.False(window.IsActive(Utc(7, 6, 8, 30), TimeZoneInfo.Utc));
    }

    [Fact]
    public void AWindowInTheHourSkippedInSpring_MovesPastIt_RatherThanVanish()
    {
        // On Sunday 29 March 2026 Berlin's clocks go from 02:00 (CET) to 03:00 (CEST), at 01:00 UTC.
        // Wall-clock comparison never saw a time from 02:00 to 02:30 that night, so alerts went out
        // during the planned work; the window now runs 03:00-03:30 CEST.
        var window = Weekly("02:00", "02:30", DaysOfWeek.Sunday, "Europe/Berlin");

        Assert.Equal(new MaintenancePeriod(Utc(3, 29, 1), Utc(3, 29, 1, 30)), window.CurrentOrNext(Utc(3, 28, 12), TimeZoneInfo.Utc));
        Assert.False(window.IsActive(Utc(3, 29, 0, 59), TimeZoneInfo.Utc));
        Assert.True(window.IsActive(Utc(3, 29, 1, 15), TimeZoneInfo.Utc));
        Assert.False(window.IsActive(Utc(3, 29, 1, 30), TimeZoneInfo.Utc));
    }

    [Fact]
    public void AWindowReachingIntoTheSkippedHour_EndsWhenTheClocksJump()
    {
        // Sunday 01:30-02:30 in Berlin on 29 March: from 01:30 CET (00:30 UTC) to the jump at 01:00 UTC.
        var window = Weekly("01:30", "02:30", DaysOfWeek.Sunday, "Europe/Berlin");

        Assert.Equal(new MaintenancePeriod(Utc(3, 29, 0, 30), Utc(3, 29, 1)), window.CurrentOrNext(Utc(3, 28, 12), TimeZoneInfo.Utc));
    }

    [Fact]
    public void AWindowStartingInTheSkippedHour_StartsWhenTheClocksJump()
    {
        // Sunday 02:30-04:00 in Berlin on 29 March: from the jump (03:00 CEST, 01:00 UTC) to 04:00 CEST (02:00 UTC).
        var window = Weekly("02:30", "04:00", DaysOfWeek.Sunday, "Europe/Berlin");

        Assert.Equal(new MaintenancePeriod(Utc(3, 29, 1), Utc(3, 29, 2)), window.CurrentOrNext(Utc(3, 28, 12), TimeZoneInfo.Utc));
    }

    [Fact]
    public void AWindowInTheHourShownTwiceInAutumn_HappensOnce()
    {
        // On Sunday 25 October 2026 Berlin's clocks go back from 03:00 (CEST) to 02:00 (CET), at 01:00 UTC,
        // so 02:00-02:30 shows twice: 00:00-00:30 UTC, then 01:00-01:30 UTC. The window is the first one only,
        // so it ends once (when the rules it held back notify) instead of ending, starting and ending again.
        var window = Weekly("02:00", "02:30", DaysOfWeek.Sunday, "Europe/Berlin");

        Assert.True(window.IsActive(Utc(10, 25, 0, 15), TimeZoneInfo.Utc));
        Assert.False(window.IsActive(Utc(10, 25, 1, 15), TimeZoneInfo.Utc));
    }

    [Fact]
    public void AWrappedWindowAcrossTheAutumnChange_CoversEveryHourBetweenItsTimes()
    {
        // Saturday 22:00 EDT to Sunday 03:00 EST in New York on 31 October / 1 November 2026: 02:00-08:00 UTC, six hours.
        var window = Weekly("22:00", "03:00", DaysOfWeek.Saturday, "America/New_York");

        Assert.Equal(new MaintenancePeriod(Utc(11, 1, 2), Utc(11, 1, 8)), window.CurrentOrNext(Utc(10, 31, 12), TimeZoneInfo.Utc));
        Assert.True(window.IsActive(Utc(11, 1, 6, 30), NewYork));
    }

    [Fact]
    public void TheNextPeriodOfAWeeklyWindow_IsNextWeeksOnceThisOneEnded()
    {
        var window = Weekly("09:00", "10:00", DaysOfWeek.Monday);

        Assert.Equal(new MaintenancePeriod(Utc(12, 7, 9), Utc(12, 7, 10)), window.CurrentOrNext(Utc(12, 7, 9, 30), TimeZoneInfo.Utc));
        Assert.Equal(new MaintenancePeriod(Utc(12, 14, 9), Utc(12, 14, 10)), window.CurrentOrNext(Utc(12, 7, 10), TimeZoneInfo.Utc));
    }

    [Fact]
    public void AWeeklyWindowWhoseTimesAreEqual_IsNeverOn()
    {
        var window = Weekly("09:00", "09:00");

        Assert.False(window.IsActive(Utc(12, 7, 9), TimeZoneInfo.Utc));
        Assert.Null(window.CurrentOrNext(Utc(12, 7, 9), TimeZoneInfo.Utc));
    }

    [Fact]
    public void Scopes_SayWhichMailboxesAWindowIsFor()
    {
        var all = new MaintenanceWindow { Scope = MaintenanceScope.AllMailboxes };
        var servers = new MaintenanceWindow { Scope = MaintenanceScope.ServerPattern, ServerPattern = "*.example.com" };
        var chosen = new MaintenanceWindow { Scope = MaintenanceScope.ChosenMailboxes, MailboxIds = [Mailbox] };

        Assert.True(all.Applies(Guid.NewGuid(), "imap.example.org"));
        Assert.True(servers.Applies(Guid.NewGuid(), "IMAP.Example.com"));
        Assert.False(servers.Applies(Guid.NewGuid(), "imap.example.org"));
        Assert.True(chosen.Applies(Mailbox, "imap.example.org"));
        Assert.False(chosen.Applies(Guid.NewGuid(), "imap.example.org"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void AServerPatternWindowWithoutAPattern_CoversNoMailbox(string? pattern)
    {
        // An empty pattern matches every server in a rule; here it would silence every mailbox.
        var window = new MaintenanceWindow { Scope = MaintenanceScope.ServerPattern, ServerPattern = pattern };

        Assert.False(window.Applies(Mailbox, "imap.example.com"));
    }

    [Fact]
    public void Covers_NeedsTheMailboxInScope_AndTheWindowOn()
    {
        var window = Weekly("09:00", "10:00", DaysOfWeek.Monday);
        window.Scope = MaintenanceScope.ServerPattern;
        window.ServerPattern = "imap.example.com";

        Assert.True(window.Covers(Mailbox, "imap.example.com", Utc(12, 7, 9, 30), TimeZoneInfo.Utc));
        Assert.False(window.Covers(Mailbox, "imap.example.org", Utc(12, 7, 9, 30), TimeZoneInfo.Utc));
        Assert.False(window.Covers(Mailbox, "imap.example.com", Utc(12, 7, 10, 30), TimeZoneInfo.Utc));
    }

    [Fact]
    public void WallClock_ReadsSkippedTimesAsTheJump_AndTimesShownTwiceAsTheFirst()
    {
        Assert.True(WallClock.IsSkipped(new DateTime(2026, 3, 29, 2, 30, 0), Berlin));
        Assert.Equal(Utc(3, 29, 1), WallClock.FirstReaching(new DateTime(2026, 3, 29, 2, 30, 0), Berlin));
        Assert.Equal(Utc(3, 29, 1, 30), WallClock.ShiftedPastGap(new DateTime(2026, 3, 29, 2, 30, 0), Berlin));
        Assert.Equal(Utc(10, 25, 0, 30), WallClock.FirstReaching(new DateTime(2026, 10, 25, 2, 30, 0), Berlin));
        Assert.Equal(Utc(12, 7, 8, 30), WallClock.FirstReaching(new DateTime(2026, 12, 7, 9, 30, 0), Berlin));
    }
}
