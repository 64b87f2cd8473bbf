using ImapEvents.Core.Checks;
using ImapEvents.Infrastructure.Activity;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Incidents;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using ImapEvents.Web.Shared;

namespace ImapEvents.Web.Features.Incidents;

public sealed partial class IncidentsPage
{
    private MudTable<IncidentRow>? table;
    private IReadOnlyList<MailboxOption> mailboxes = [];
    private IncidentFilter filter = new();

    // The filters live in the address (see IncidentFilter); changing one navigates, and the new address sets them.
    [SupplyParameterFromQuery(Name = "state")]
    public string? StateParameter { get; set; }

    [SupplyParameterFromQuery(Name = "mailbox")]
    public string? MailboxParameter { get; set; }

    [SupplyParameterFromQuery(Name = "stage")]
    public string? StageParameter { get; set; }

    [SupplyParameterFromQuery(Name = "acknowledged")]
    public string? AcknowledgedParameter { get; set; }

    [SupplyParameterFromQuery(Name = "from")]
    public string? FromParameter { get; set; }

    [SupplyParameterFromQuery(Name = "to")]
    public string? ToParameter { get; set; }

    [Inject]
    private ViewerTime Viewer { get; set; } = default!;

    [Inject]
    private IncidentQueries Incidents { get; set; } = default!;

    [Inject]
    private EventQueries Events { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    private DateTime? From => filter.From?.ToDateTime(TimeOnly.MinValue);

    private DateTime? To => filter.To?.ToDateTime(TimeOnly.MinValue);

    /// <summary>Checks open, continue and close incidents, on any instance; an acknowledgement announces itself as one.</summary>
    protected override void OnInitialized()
    {
        filter = FilterInAddress();
        ReloadOn(ActivityKinds.Checks | ActivityKinds.Mailboxes, FollowAsync);
    }

    protected override async Task OnInitializedAsync() => mailboxes = await Events.MailboxesAsync(Closing);

    /// <summary>After a filter changed the address (or the browser went back to another one).</summary>
    protected override async Task OnParametersSetAsync()
    {
        var inAddress = FilterInAddress();
        if (inAddress != filter)
        {
            filter = inAddress;
            await ReloadAsync();
        }
    }

    private IncidentFilter FilterInAddress() =>
        IncidentFilter.Parse(StateParameter, MailboxParameter, StageParameter, AcknowledgedParameter, FromParameter, ToParameter);

    private async Task<TableData<IncidentRow>> LoadAsync(TableState state, CancellationToken cancellationToken)
    {
        if (filter.RangeError is not null)
        {
            return new TableData<IncidentRow> { Items = [], TotalItems = 0 };
        }

        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Closing);
        var page = await Incidents.ListAsync(filter.ToQuery(state.Page, state.PageSize, Viewer.Zone), both.Token);
        return new TableData<IncidentRow> { Items = page.Items, TotalItems = page.TotalCount };
    }

    private async Task FollowAsync(ActivityKinds changed)
    {
        if (changed.HasFlag(ActivityKinds.Mailboxes))
        {
            mailboxes = await Events.MailboxesAsync(Closing);
            StateHasChanged();
        }

        await ReloadAsync();
    }

    private void StateChanged(IncidentState? value) => Show(filter with { State = value });

    private void MailboxChanged(Guid? value) => Show(filter with { MailboxId = value });

    private void StageChanged(CheckStage? value) => Show(filter with { Stage = value });

    private void AcknowledgedChanged(bool? value) => Show(filter with { Acknowledged = value });

    private void FromChanged(DateTime? value) => Show(filter with { From = value is { } day ? DateOnly.FromDateTime(day) : null });

    private void ToChanged(DateTime? value) => Show(filter with { To = value is { } day ? DateOnly.FromDateTime(day) : null });

    /// <summary>Replaces the address rather than adding to the history: Back leaves the page, as on the Events page.</summary>
    private void Show(IncidentFilter next) =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(next.QueryParameters()), replace: true);

    private Task ReloadAsync() => table?.ReloadServerData() ?? Task.CompletedTask;
}
