using System.Globalization;

namespace ImapEvents.Core.Text;

/// <summary>A duration as people say it: "45 s", "12 min", "3 h 5 min", "2 d 4 h".</summary>
public static class DurationText
{
    public static string Of(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            duration = TimeSpan.Zero;
        }

        var invariant = CultureInfo.InvariantCulture;
        if (duration < TimeSpan.FromMinutes(1))
        {
            return string.Create(invariant, $"{(int)duration.TotalSeconds} s");
        }

        if (duration < TimeSpan.FromHours(1))
        {
            return string.Create(invariant, $"{(int)duration.TotalMinutes} min");
        }

        if (duration < TimeSpan.FromDays(1))
        {
            return duration.Minutes == 0
                ? string.Create(invariant, $"{(int)duration.TotalHours} h")
                : string.Create(invariant, $"{(int)duration.TotalHours} h {duration.Minutes} min");
        }

        return duration.Hours == 0
            ? string.Create(invariant, $"{(int)duration.TotalDays} d")
            : string.Create(invariant, $"{(int)duration.TotalDays} d {duration.Hours} h");
    }
}
