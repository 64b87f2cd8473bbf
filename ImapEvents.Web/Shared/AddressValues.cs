using System.Globalization;

namespace ImapEvents.Web.Shared;

/// <summary>
/// How a list page's filters read and write their values in its address (the Events and Incidents pages). A value
/// that does not parse reads as no filter: a mistyped or outdated link shows more than asked for, never an error.
/// </summary>
public static class AddressValues
{
    public const string DateFormat = "yyyy-MM-dd";

    /// <summary>Only a value's exact name (any case): Enum.TryParse would also take numbers and "A, B" combinations.</summary>
    public static T? NamedValue<T>(string? value)
        where T : struct, Enum =>
        Enum.GetValues<T>().Where(v => string.Equals(v.ToString(), value, StringComparison.OrdinalIgnoreCase)).Select(v => (T?)v).FirstOrDefault();

    public static Guid? Id(string? value) => Guid.TryParse(value, out var id) ? id : null;

    public static DateOnly? Day(string? value) =>
        DateOnly.TryParseExact(value, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;

    public static string? Text(DateOnly? day) => day?.ToString(DateFormat, CultureInfo.InvariantCulture);

    /// <summary>Midnight at the start of <paramref name="day"/> in <paramref name="zone"/>, as the UTC moment the database takes.</summary>
    public static DateTimeOffset StartOf(DateOnly day, TimeZoneInfo zone)
    {
        var midnight = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(midnight, zone.GetUtcOffset(midnight)).ToUniversalTime();
    }

    /// <summary>A page's address with these query values (null ones left out), relative to the app's base address.</summary>
    public static string Link(string page, IReadOnlyDictionary<string, object?> parameters)
    {
        var query = string.Join('&', parameters
            .Where(p => p.Value is not null)
            .Select(p => $"{p.Key}={Uri.EscapeDataString((string)p.Value!)}"));
        return query.Length == 0 ? page : $"{page}?{query}";
    }
}
