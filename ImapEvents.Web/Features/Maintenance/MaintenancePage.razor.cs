using ImapEvents.Core.Maintenance;
using ImapEvents.Infrastructure.Maintenance;
using ImapEvents.Web.Shared;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace ImapEvents.Web.Features.Maintenance;

public sealed partial class MaintenancePage
{
    /// <summary>Enough names to recognise; the count says how many more.</summary>
    private const int MailboxesShown = 10;

    private IReadOnlyList<MaintenanceWindowRow>? rows;
    private IReadOnlyList<MailboxInMaintenance>? inMaintenance;
    private IReadOnlyDictionary<Guid, string> mailboxNames = new Dictionary<Guid, string>();

    [Inject]
    private MaintenanceAdministration Maintenance { get; set; } = default!;

    [Inject]
    private CurrentUser CurrentUser { get; set; } = default!;

    [Inject]
    private IDialogService DialogService { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    protected override Task OnInitializedAsync() => LoadAsync();

    private async Task LoadAsync()
    {
        rows = await Maintenance.ListAsync(Closing);
        inMaintenance = await Maintenance.InMaintenanceNowAsync(Closing);
        mailboxNames = (await Maintenance.MailboxChoicesAsync(Closing)).ToDictionary(m => m.Id, m => m.DisplayName);
    }

    private static Color StateColor(MaintenanceState state) => state switch
    {
        MaintenanceState.Active => Color.Warning,
        MaintenanceState.Upcoming => Color.Info,
        MaintenanceState.Ended => Color.Default,
        _ => Color.Default,
    };

    private async Task EditAsync(MaintenanceWindow? window)
    {
        var parameters = new DialogParameters<MaintenanceDialog> { { d => d.WindowId, window?.Id } };
        var dialog = await DialogService.ShowAsync<MaintenanceDialog>(
            window is null ? "Add maintenance window" : $"Edit {window.Name}",
            parameters,
            new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add("Maintenance window saved.", Severity.Success);
            await LoadAsync();
        }
    }

    private async Task EndNowAsync(MaintenanceWindow window)
    {
        var confirmed = await DialogService.ShowMessageBoxAsync(
            "End maintenance now",
            $"End {window.Name} now? Rule actions run again for its mailboxes from this moment, and each rule that held back for a mailbox still failing notifies once.",
            yesText: "End now",
            cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        var result = await Maintenance.EndNowAsync(await CurrentUser.IdAsync(), window.Id, Closing);
        if (result.Succeeded)
        {
            Snackbar.Add($"{window.Name} ended.", Severity.Success);
        }
        else
        {
            Snackbar.Add(string.Join(" ", result.Errors.Values), Severity.Error, options => options.RequireInteraction = true);
        }

        await LoadAsync();
    }

    private async Task DeleteAsync(MaintenanceWindow window)
    {
        var confirmed = await DialogService.ShowMessageBoxAsync(
            "Delete maintenance window",
            $"Delete {window.Name}? If it is on now, it ends at once.",
            yesText: "Delete",
            cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        Snackbar.Add(
            await Maintenance.DeleteAsync(await CurrentUser.IdAsync(), window.Id, Closing) ? $"{window.Name} deleted." : $"{window.Name} was deleted already.",
            Severity.Success);
        await LoadAsync();
    }
}
