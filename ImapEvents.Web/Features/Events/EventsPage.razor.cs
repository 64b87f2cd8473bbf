using ImapEvents.Core.Events;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Activity;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Web.Shared;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace ImapEvents.Web.Features.Events;

public sealed partial class EventsPage
{
    private MudTable<EventRow>? table;
    private IReadOnlyList<MailboxOption> mailboxes = [];
    private ImapEventType? type;
    private Guid? mailboxId;
    private DateTime? from;
    private DateTime? to;
    private string? rangeError;

    private DeliveryStatus? delivery;

    /// <summary>"?delivery=Failed": only events with a delivery in that state, so the dashboard can link here.</summary>
    [SupplyParameterFromQuery(Name = "delivery")]
    public string? DeliveryFilter { get; set; }

    [Inject]
    private EventQueries Events { get; set; } = default!;

    protected override void OnInitialized() =>
        ReloadOn(ActivityKinds.Events | ActivityKinds.Deliveries | ActivityKinds.Mailboxes, FollowAsync);

    protected override async Task OnInitializedAsync()
    {
        delivery = Enum.TryParse<DeliveryStatus>(DeliveryFilter, ignoreCase: true, out var status) && Enum.IsDefined(status) ? status : null;
        mailboxes = await Events.MailboxesAsync(Closing);
    }

    private async Task<TableData<EventRow>> LoadAsync(TableState state, CancellationToken cancellationToken)
    {
        if (rangeError is not null)
        {
            return new TableData<EventRow> { Items = [], TotalItems = 0 };
        }

        var query = new EventQuery(
            type,
            mailboxId,
            from is { } start ? new DateTimeOffset(start.Date, TimeZoneInfo.Local.GetUtcOffset(start.Date)) : null,
            to is { } end ? new DateTimeOffset(end.Date.AddDays(1), TimeZoneInfo.Local.GetUtcOffset(end.Date.AddDays(1))) : null,
            state.Page,
            state.PageSize,
            delivery);
        var page = await Events.ListWithRulesAsync(query, cancellationToken);
        return new TableData<EventRow> { Items = page.Items, TotalItems = page.TotalCount };
    }

    /// <summary>New events and delivery progress show up in place: same filters, same page.</summary>
    private async Task FollowAsync(ActivityKinds changed)
    {
        if (changed.HasFlag(ActivityKinds.Mailboxes))
        {
            mailboxes = await Events.MailboxesAsync(Closing);
            StateHasChanged();
        }

        if ((changed & (ActivityKinds.Events | ActivityKinds.Deliveries)) != ActivityKinds.None && table is not null)
        {
            await table.ReloadServerData();
        }
    }

    private Task TypeChanged(ImapEventType? value)
    {
        type = value;
        return ReloadAsync();
    }

    private Task MailboxChanged(Guid? value)
    {
        mailboxId = value;
        return ReloadAsync();
    }

    private Task DeliveryChanged(DeliveryStatus? value)
    {
        delivery = value;
        return ReloadAsync();
    }

    private Task FromChanged(DateTime? value)
    {
        from = value;
        return ReloadAsync();
    }

    private Task ToChanged(DateTime? value)
    {
        to = value;
        return ReloadAsync();
    }

    private Task ReloadAsync()
    {
        rangeError = from is { } start && to is { } end && start.Date > end.Date ? "The start is after the end of the range." : null;
        return table?.ReloadServerData() ?? Task.CompletedTask;
    }
}
