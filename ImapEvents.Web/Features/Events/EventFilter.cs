using ImapEvents.Core.Events;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Web.Shared;

namespace ImapEvents.Web.Features.Events;

/// <summary>
/// The Events page's filters, as they stand in its address so a filtered view survives a reload and
/// can be shared: <c>/events?type=LoginFailed&amp;mailbox=…&amp;delivery=Failed&amp;from=2026-11-01&amp;to=2026-11-30</c>,
/// or the events of one incident: <c>/events?incident=…</c>.
/// </summary>
public sealed record EventFilter(
    ImapEventType? Type = null,
    Guid? MailboxId = null,
    DeliveryStatus? Delivery = null,
    DateOnly? From = null,
    DateOnly? To = null,
    Guid? IncidentId = null)
{
    /// <summary>
    /// The filters an address names. A value that does not parse is left out: a mistyped or outdated
    /// link shows more than asked for, never an error.
    /// </summary>
    public static EventFilter Parse(string? type, string? mailbox, string? delivery, string? from, string? to, string? incident = null) => new(
        AddressValues.NamedValue<ImapEventType>(type),
        AddressValues.Id(mailbox),
        AddressValues.NamedValue<DeliveryStatus>(delivery),
        AddressValues.Day(from),
        AddressValues.Day(to),
        AddressValues.Id(incident));

    /// <summary>The address's query values; null leaves a parameter out.</summary>
    public IReadOnlyDictionary<string, object?> QueryParameters() => new Dictionary<string, object?>
    {
        ["type"] = Type?.ToString(),
        ["mailbox"] = MailboxId?.ToString(),
        ["delivery"] = Delivery?.ToString(),
        ["from"] = AddressValues.Text(From),
        ["to"] = AddressValues.Text(To),
        ["incident"] = IncidentId?.ToString(),
    };

    /// <summary>A link to the Events page showing these events, relative to the app's base address.</summary>
    public string Link() => AddressValues.Link("events", QueryParameters());

    public string? RangeError => From > To ? "The start is after the end of the range." : null;

    /// <summary>The query for one page of events; the days are whole days in <paramref name="zone"/>, "To" included.</summary>
    public EventQuery ToQuery(int page, int pageSize, TimeZoneInfo zone) => new(
        Type,
        MailboxId,
        From is { } from ? AddressValues.StartOf(from, zone) : null,
        To is { } to ? AddressValues.StartOf(to.AddDays(1), zone) : null,
        page,
        pageSize,
        Delivery,
        IncidentId);
}
