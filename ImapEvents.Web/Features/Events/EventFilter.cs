using System.Globalization;
using ImapEvents.Core.Events;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Events;

namespace ImapEvents.Web.Features.Events;

/// <summary>
/// The Events page's filters, as they stand in its address so a filtered view survives a reload and
/// can be shared: <c>/events?type=LoginFailed&amp;mailbox=…&amp;delivery=Failed&amp;from=2026-11-01&amp;to=2026-11-30</c>.
/// </summary>
public sealed record EventFilter(
    ImapEventType? Type = null,
    Guid? MailboxId = null,
    DeliveryStatus? Delivery = null,
    DateOnly? From = null,
    DateOnly? To = null)
{
    public const string DateFormat = "yyyy-MM-dd";

    /// <summary>
    /// The filters an address names. A value that does not parse is left out: a mistyped or outdated
    /// link shows more than asked for, never an error.
    /// </summary>
    public static EventFilter Parse(string? type, string? mailbox, string? delivery, string? from, string? to) => new(
        NamedValue<ImapEventType>(type),
        Guid.TryParse(mailbox, out var mailboxId) ? mailboxId : null,
        NamedValue<DeliveryStatus>(delivery),
        Day(from),
        Day(to));

    /// <summary>The address's query values; null leaves a parameter out.</summary>
    public IReadOnlyDictionary<string, object?> QueryParameters() => new Dictionary<string, object?>
    {
        ["type"] = Type?.ToString(),
        ["mailbox"] = MailboxId?.ToString(),
        ["delivery"] = Delivery?.ToString(),
        ["from"] = From?.ToString(DateFormat, CultureInfo.InvariantCulture),
        ["to"] = To?.ToString(DateFormat, CultureInfo.InvariantCulture),
    };

    /// <summary>A link to the Events page showing these events, relative to the app's base address.</summary>
    public string Link()
    {
        var query = string.Join('&', QueryParameters()
            .Where(p => p.Value is not null)
            .Select(p => $"{p.Key}={Uri.EscapeDataString((string)p.Value!)}"));
        return query.Length == 0 ? "events" : $"events?{query}";
    }

    public string? RangeError => From > To ? "The start is after the end of the range." : null;

    /// <summary>The query for one page of events; the days are whole days in <paramref name="zone"/>, "To" included.</summary>
    public EventQuery ToQuery(int page, int pageSize, TimeZoneInfo zone) => new(
        Type,
        MailboxId,
        From is { } from ? StartOf(from, zone) : null,
        To is { } to ? StartOf(to.AddDays(1), zone) : null,
        page,
        pageSize,
        Delivery);

    private static DateTimeOffset StartOf(DateOnly day, TimeZoneInfo zone)
    {
        var midnight = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(midnight, zone.GetUtcOffset(midnight));
    }

    /// <summary>Only a value's exact name (any case): Enum.TryParse would also take numbers and "A, B" combinations.</summary>
    private static T? NamedValue<T>(string? value)
        where T : struct, Enum =>
        Enum.GetValues<T>().Where(v => string.Equals(v.ToString(), value, StringComparison.OrdinalIgnoreCase)).Select(v => (T?)v).FirstOrDefault();

    private static DateOnly? Day(string? value) =>
        DateOnly.TryParseExact(value, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;
}
