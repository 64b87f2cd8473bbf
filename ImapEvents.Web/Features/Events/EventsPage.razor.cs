using ImapEvents.Core.Events;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Activity;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Incidents;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using ImapEvents.Web.Shared;

namespace ImapEvents.Web.Features.Events;

public sealed partial class EventsPage
{
    private MudTable<EventRow>? table;
    private IReadOnlyList<MailboxOption> mailboxes = [];
    private EventFilter filter = new();
    private IncidentRow? incident;

    // The filters live in the address (see EventFilter); changing one navigates, and the new address sets them.
    [SupplyParameterFromQuery(Name = "type")]
    public string? TypeParameter { get; set; }

    [SupplyParameterFromQuery(Name = "mailbox")]
    public string? MailboxParameter { get; set; }

    /// <summary>"?delivery=Failed": only events with a delivery in that state (the dashboard links here).</summary>
    [SupplyParameterFromQuery(Name = "delivery")]
    public string? DeliveryParameter { get; set; }

    [SupplyParameterFromQuery(Name = "from")]
    public string? FromParameter { get; set; }

    [SupplyParameterFromQuery(Name = "to")]
    public string? ToParameter { get; set; }

    /// <summary>"?incident=…": the events of one incident (its page links here).</summary>
    [SupplyParameterFromQuery(Name = "incident")]
    public string? IncidentParameter { get; set; }

    [Inject]
    private IncidentQueries Incidents { get; set; } = default!;

    [Inject]
    private EventQueries Events { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private ViewerTime Viewer { get; set; } = default!;

    private DateTime? From => filter.From?.ToDateTime(TimeOnly.MinValue);

    private DateTime? To => filter.To?.ToDateTime(TimeOnly.MinValue);

    protected override void OnInitialized()
    {
        filter = FilterInAddress();
        ReloadOn(ActivityKinds.Events | ActivityKinds.Deliveries | ActivityKinds.Mailboxes, FollowAsync);
    }

    protected override async Task OnInitializedAsync()
    {
        mailboxes = await Events.MailboxesAsync(Closing);
        await ForgetUnknownMailboxAsync();
        await LoadIncidentAsync();
    }

    /// <summary>After a filter changed the address (or the browser went back to another one).</summary>
    protected override async Task OnParametersSetAsync()
    {
        var inAddress = FilterInAddress();
        if (inAddress != filter)
        {
            filter = inAddress;
            await ForgetUnknownMailboxAsync();
            await LoadIncidentAsync();
            await ReloadAsync();
        }
    }

    private EventFilter FilterInAddress() => EventFilter.Parse(TypeParameter, MailboxParameter, DeliveryParameter, FromParameter, ToParameter, IncidentParameter);

    /// <summary>The incident the list is narrowed to, so the page can say which one.</summary>
    private async Task LoadIncidentAsync() =>
        incident = filter.IncidentId is { } id ? await Incidents.GetAsync(id, Closing) : null;

    /// <summary>A link naming a mailbox that no longer exists shows every mailbox's events, like any other value that does not parse.</summary>
    private async Task ForgetUnknownMailboxAsync()
    {
        if (filter.MailboxId is { } id && mailboxes.All(m => m.Id != id))
        {
            filter = filter with { MailboxId = null };
            await ReloadAsync();
        }
    }

    private async Task<TableData<EventRow>> LoadAsync(TableState state, CancellationToken cancellationToken)
    {
        if (filter.RangeError is not null)
        {
            return new TableData<EventRow> { Items = [], TotalItems = 0 };
        }

        var page = await Events.ListWithRulesAsync(filter.ToQuery(state.Page, state.PageSize, Viewer.Zone), cancellationToken);
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

        if ((changed & (ActivityKinds.Events | ActivityKinds.Deliveries)) != ActivityKinds.None)
        {
            await ReloadAsync();
        }
    }

    private void TypeChanged(ImapEventType? value) => Show(filter with { Type = value });

    private void MailboxChanged(Guid? value) => Show(filter with { MailboxId = value });

    private void DeliveryChanged(DeliveryStatus? value) => Show(filter with { Delivery = value });

    private void FromChanged(DateTime? value) => Show(filter with { From = value is { } day ? DateOnly.FromDateTime(day) : null });

    private void ShowEveryIncident() => Show(filter with { IncidentId = null });

    private void ToChanged(DateTime? value) => Show(filter with { To = value is { } day ? DateOnly.FromDateTime(day) : null });

    /// <summary>Replaces the address rather than adding to the history: Back leaves the page, as it did before.</summary>
    private void Show(EventFilter next) =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(next.QueryParameters()), replace: true);

    private Task ReloadAsync() => table?.ReloadServerData() ?? Task.CompletedTask;
}
