namespace ImapEvents.Core.Maintenance;

/// <summary>
/// Turns a time on a zone's wall clock into an instant, for the edges of a maintenance window. Most
/// times name one instant; around a daylight-saving change some name none (the hour skipped when the
/// clocks go forward) and some name two (the hour shown twice when they go back).
/// </summary>
public static class WallClock
{
    /// <summary>Whether the wall clock of <paramref name="zone"/> never shows <paramref name="local"/> (it jumps past it).</summary>
    public static bool IsSkipped(DateTime local, TimeZoneInfo zone) =>
        zone.IsInvalidTime(DateTime.SpecifyKind(local, DateTimeKind.Unspecified));

    /// <summary>
    /// The first instant the wall clock shows <paramref name="local"/> or a later time: for a skipped time,
    /// the moment the clocks jump forward; for a time shown twice, the first time.
    /// </summary>
    public static DateTimeOffset FirstReaching(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            var (before, after) = OffsetsAround(local, zone);
            return JumpBetween(local - after, local - before, after, zone);
        }

        if (zone.IsAmbiguousTime(local))
        {
            // The larger offset is the one before the clocks go back: the earlier instant.
            var offset = zone.GetAmbiguousTimeOffsets(local).Max();
            return new DateTimeOffset(local, offset).ToUniversalTime();
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>
    /// A skipped time read with the offset in force before the jump, so it lands as far past the jump as it
    /// was past the start of the skipped hour (02:30 on the night 02:00 becomes 03:00 is 03:30), as java.time
    /// and NodaTime's lenient resolver read it. Other times as <see cref="FirstReaching"/>.
    /// </summary>
    public static DateTimeOffset ShiftedPastGap(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (!zone.IsInvalidTime(local))
        {
            return FirstReaching(local, zone);
        }

        var (before, _) = OffsetsAround(local, zone);
        return new DateTimeOffset(local - before, TimeSpan.Zero);
    }

    /// <summary>
    /// The offsets in force a day before and a day after a wall-clock time: the two sides of a change near it
    /// (offsets stay within ±14 hours, and no zone changes twice in two days).
    /// </summary>
    private static (TimeSpan Before, TimeSpan After) OffsetsAround(DateTime local, TimeZoneInfo zone)
    {
        var asUtc = new DateTimeOffset(local, TimeSpan.Zero);
        return (zone.GetUtcOffset(asUtc.AddDays(-1)), zone.GetUtcOffset(asUtc.AddDays(1)));
    }

    /// <summary>The first whole second in [<paramref name="from"/>, <paramref name="to"/>] (UTC) whose offset is <paramref name="after"/>.</summary>
    private static DateTimeOffset JumpBetween(DateTime from, DateTime to, TimeSpan after, TimeZoneInfo zone)
    {
        var low = new DateTimeOffset(from, TimeSpan.Zero).ToUnixTimeSeconds();
        var high = new DateTimeOffset(to, TimeSpan.Zero).ToUnixTimeSeconds();
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (zone.GetUtcOffset(DateTimeOffset.FromUnixTimeSeconds(middle)) == after)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return DateTimeOffset.FromUnixTimeSeconds(low);
    }
}
