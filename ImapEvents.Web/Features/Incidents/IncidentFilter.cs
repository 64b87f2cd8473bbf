using ImapEvents.Core.Checks;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Web.Shared;

namespace ImapEvents.Web.Features.Incidents;

/// <summary>
/// The Incidents page's filters, as they stand in its address so a filtered view survives a reload and can be
/// shared: <c>/incidents?state=open&amp;mailbox=…&amp;stage=Authenticate&amp;acknowledged=no&amp;from=2026-11-01&amp;to=2026-11-30</c>.
/// </summary>
public sealed record IncidentFilter(
    IncidentState? State = null,
    Guid? MailboxId = null,
    CheckStage? Stage = null,
    bool? Acknowledged = null,
    DateOnly? From = null,
    DateOnly? To = null)
{
    /// <summary>The filters an address names (see <see cref="AddressValues"/> for values that do not parse).</summary>
    public static IncidentFilter Parse(string? state, string? mailbox, string? stage, string? acknowledged, string? from, string? to) => new(
        AddressValues.NamedValue<IncidentState>(state),
        AddressValues.Id(mailbox),
        AddressValues.NamedValue<CheckStage>(stage),
        acknowledged?.ToLowerInvariant() switch
        {
            "yes" => true,
            "no" => false,
            _ => null,
        },
        AddressValues.Day(from),
        AddressValues.Day(to));

    /// <summary>The address's query values; null leaves a parameter out.</summary>
    public IReadOnlyDictionary<string, object?> QueryParameters() => new Dictionary<string, object?>
    {
        ["state"] = State?.ToString().ToLowerInvariant(),
        ["mailbox"] = MailboxId?.ToString(),
        ["stage"] = Stage?.ToString(),
        ["acknowledged"] = Acknowledged switch
        {
            true => "yes",
            false => "no",
            null => null,
        },
        ["from"] = AddressValues.Text(From),
        ["to"] = AddressValues.Text(To),
    };

    /// <summary>A link to the Incidents page showing these incidents, relative to the app's base address.</summary>
    public string Link() => AddressValues.Link("incidents", QueryParameters());

    public string? RangeError => From > To ? "The start is after the end of the range." : null;

    /// <summary>The query for one page; the days are whole days in <paramref name="zone"/>, "To" included.</summary>
    public IncidentQuery ToQuery(int page, int pageSize, TimeZoneInfo zone) => new(
        State,
        MailboxId,
        Stage,
        From is { } from ? AddressValues.StartOf(from, zone) : null,
        To is { } to ? AddressValues.StartOf(to.AddDays(1), zone) : null,
        Acknowledged,
        page,
        pageSize);
}
