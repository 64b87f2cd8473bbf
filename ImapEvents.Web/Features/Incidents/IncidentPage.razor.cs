using ImapEvents.Infrastructure.Activity;
using ImapEvents.Infrastructure.Incidents;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using ImapEvents.Web.Shared;

namespace ImapEvents.Web.Features.Incidents;

public sealed partial class IncidentPage
{
    private IncidentDetail? detail;
    private bool loading = true;

    /// <summary>Any text, not a route constraint: an address that is no incident id shows "not found", like an unknown id.</summary>
    [Parameter]
    public string Id { get; set; } = "";

    [Inject]
    private ViewerTime Viewer { get; set; } = default!;

    [Inject]
    private IncidentQueries Incidents { get; set; } = default!;

    [Inject]
    private IDialogService DialogService { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    /// <summary>New failures, the recovery, deliveries and acknowledgements show up while the page is open.</summary>
    protected override void OnInitialized() => ReloadOn(ActivityKinds.Checks | ActivityKinds.Events | ActivityKinds.Deliveries, async _ =>
    {
        await LoadAsync();
        StateHasChanged();
    });

    protected override async Task OnParametersSetAsync()
    {
        loading = detail?.Row.Incident.Id.ToString() != Id;
        await LoadAsync();
        loading = false;
    }

    private async Task LoadAsync() =>
        detail = Guid.TryParse(Id, out var id) ? await Incidents.DetailAsync(id, Closing) : null;

    private async Task AcknowledgeAsync()
    {
        var parameters = new DialogParameters<AcknowledgeDialog> { { d => d.IncidentId, detail!.Row.Incident.Id } };
        var dialog = await DialogService.ShowAsync<AcknowledgeDialog>(
            $"Acknowledge the incident of {detail.Row.Incident.MailboxName}", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add("Incident acknowledged. Its rules stop notifying until it recovers.", Severity.Success);
            await LoadAsync();
        }
    }
}
