using ImapEvents.Core.Actions;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Web.Shared;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace ImapEvents.Web.Features.Rules;

public sealed partial class RulesPage
{
    private IReadOnlyList<EventRule>? rules;
    private IReadOnlyDictionary<string, RuleOwner> owners = new Dictionary<string, RuleOwner>();
    private string search = "";
    private RuleImportResult? imported;

    [Inject]
    private ViewerTime Viewer { get; set; } = default!;

    [Inject]
    private RuleAdministration Rules { get; set; } = default!;

    [Inject]
    private CurrentUser CurrentUser { get; set; } = default!;

    [Inject]
    private IDialogService DialogService { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    protected override Task OnInitializedAsync() => LoadAsync();

    /// <summary>Each disabled action of both lists, named as the editor names it ("Action 2", "Escalation action 1").</summary>
    private static IEnumerable<(RuleAction Action, string Name)> DisabledActions(EventRule rule) =>
        new[] { (List: ActionList.Main, Actions: rule.Actions), (List: ActionList.Escalation, Actions: rule.EscalationActions) }
            .SelectMany(l => l.Actions.Select((action, index) => (action, l.List.ActionName(index))))
            .Where(a => a.action.DisabledAt is not null);

    private async Task LoadAsync()
    {
        rules = await Rules.ListAsync(search, Closing);
        owners = await Rules.OwnersAsync(Closing);
    }

    private async Task SearchAsync(string value)
    {
        search = value ?? "";
        await LoadAsync();
    }

    private async Task CreateAsync()
    {
        var dialog = await DialogService.ShowAsync<RuleEditorDialog>("Add rule", new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add("Rule added.", Severity.Success);
            await LoadAsync();
        }
    }

    private async Task EditAsync(EventRule rule)
    {
        var parameters = new DialogParameters<RuleEditorDialog> { { d => d.RuleId, rule.Id } };
        var dialog = await DialogService.ShowAsync<RuleEditorDialog>($"Edit {rule.Name}", parameters, new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add("Rule saved.", Severity.Success);
            await LoadAsync();
        }
    }

    private Task SetEnabledAsync(EventRule rule, bool enabled) =>
        RunAsync(actor => Rules.SetEnabledAsync(actor, rule.Id, enabled, Closing), enabled ? $"{rule.Name} is enabled." : $"{rule.Name} is disabled.");

    private Task TakeOwnershipAsync(EventRule rule) =>
        RunAsync(actor => Rules.TakeOwnershipAsync(actor, rule.Id, null, Closing), $"You own {rule.Name} now: Use My Notification Profile reaches your profile.");

    private Task DuplicateAsync(EventRule rule) =>
        RunAsync(actor => Rules.DuplicateAsync(actor, rule.Id, Closing), $"{rule.Name} duplicated; the copy is disabled until you enable it.");

    private Task SnoozeAsync(EventRule rule, TimeSpan? length) =>
        RunAsync(
            actor => Rules.SnoozeAsync(actor, rule.Id, length is { } span ? DateTimeOffset.UtcNow + span : null, Closing),
            length is null ? $"{rule.Name} is no longer snoozed." : $"{rule.Name} is snoozed; its matches are recorded but nothing fires.");

    private async Task SnoozeUntilAsync(EventRule rule)
    {
        var parameters = new DialogParameters<RuleSnoozeDialog> { { d => d.RuleId, rule.Id } };
        var dialog = await DialogService.ShowAsync<RuleSnoozeDialog>($"Snooze {rule.Name}", parameters);
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add($"{rule.Name} is snoozed; its matches are recorded but nothing fires.", Severity.Success);
            await LoadAsync();
        }
    }

    private async Task SendTestEventAsync(EventRule rule)
    {
        var parameters = new DialogParameters<SendTestEventDialog> { { d => d.RuleId, rule.Id } };
        await DialogService.ShowAsync<SendTestEventDialog>($"Test event for {rule.Name}", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
    }

    private async Task HistoryAsync(EventRule rule)
    {
        var parameters = new DialogParameters<RuleHistoryDialog> { { d => d.RuleId, rule.Id } };
        await DialogService.ShowAsync<RuleHistoryDialog>($"History of {rule.Name}", parameters, new DialogOptions { MaxWidth = MaxWidth.Large, FullWidth = true });
    }

    private async Task DeleteAsync(EventRule rule)
    {
        var confirmed = await DialogService.ShowMessageBoxAsync("Delete rule", $"Delete the rule {rule.Name}? Its history stays in the audit trail.", yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        await Rules.DeleteAsync(await CurrentUser.IdAsync(), rule.Id, Closing);
        Snackbar.Add($"{rule.Name} deleted.", Severity.Success);
        await LoadAsync();
    }

    private async Task ImportAsync()
    {
        var dialog = await DialogService.ShowAsync<RuleImportDialog>("Import rules", new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: RuleImportResult result })
        {
            // Stays until closed: it names the rules, and the webhook actions that need a secret shared.
            imported = result;
            await LoadAsync();
        }
    }

    private async Task RunAsync(Func<string, Task<RuleSaveResult>> change, string success)
    {
        var result = await change(await CurrentUser.IdAsync());
        if (result.Succeeded)
        {
            Snackbar.Add(success, Severity.Success);
        }
        else
        {
            Snackbar.Add(string.Join(" ", result.Errors.Values), Severity.Error);
        }

        await LoadAsync();
    }

}
