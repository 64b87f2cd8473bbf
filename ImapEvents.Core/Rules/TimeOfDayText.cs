using System.Globalization;

namespace ImapEvents.Core.Rules;

/// <summary>The Time of Day field as people type it: "08:00-18:00", "22:00–06:00", or empty for any time.</summary>
public static class TimeOfDayText
{
    public static string Format(TimeOnly? from, TimeOnly? to) =>
        from is { } start && to is { } end
            ? $"{start.ToString("HH:mm", CultureInfo.InvariantCulture)}-{end.ToString("HH:mm", CultureInfo.InvariantCulture)}"
            : "";

    /// <returns>Null when the text is valid (with the window, or none for empty text), otherwise what is wrong.</returns>
    public static string? TryParse(string? text, out TimeOnly? from, out TimeOnly? to)
    {
        from = to = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var parts = text.Split(['-', '–', '—'], StringSplitOptions.TrimEntries);
        if (parts.Length != 2
            || !TimeOnly.TryParseExact(parts[0], ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
            || !TimeOnly.TryParseExact(parts[1], ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var end))
        {
            return "Write the time frame as from-to in 24-hour time, like 08:00-18:00 or 22:00-06:00 (wraps midnight).";
        }

        if (start == end)
        {
            return "The start and end are the same; leave the field empty for any time of day.";
        }

        from = start;
        to = end;
        return null;
    }
}
