using ImapEvents.Infrastructure.Identity;
using ImapEvents.Web.Shared;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace ImapEvents.Web.Features.Users;

public sealed partial class UsersPage
{
    private IReadOnlyList<UserSummary>? users;
    private string search = "";
    private string? actionError;

    [Inject]
    private ViewerTime Viewer { get; set; } = default!;

    [Inject]
    private IServiceScopeFactory ScopeFactory { get; set; } = default!;

    [Inject]
    private IDialogService DialogService { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private CurrentUser CurrentUser { get; set; } = default!;

    protected override Task OnInitializedAsync() => LoadAsync();

    private async Task LoadAsync() =>
        users = await ScopeFactory.RunAsync<UserAdministration, IReadOnlyList<UserSummary>>(
            admin => admin.ListAsync(Closing));

    private bool Matches(UserSummary user) =>
        string.IsNullOrWhiteSpace(search)
        || user.Email.Contains(search, StringComparison.OrdinalIgnoreCase)
        || user.Roles.Any(r => r.Contains(search, StringComparison.OrdinalIgnoreCase));

    private async Task CreateUserAsync()
    {
        var dialog = await DialogService.ShowAsync<CreateUserDialog>("Create user");
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add("User created.", Severity.Success);
            await LoadAsync();
        }
    }

    private async Task EditRolesAsync(UserSummary user)
    {
        var parameters = new DialogParameters<EditRolesDialog> { { d => d.User, user } };
        var dialog = await DialogService.ShowAsync<EditRolesDialog>($"Roles of {user.Email}", parameters);
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add("Roles changed.", Severity.Success);
            await LoadAsync();
        }
    }

    private async Task ResetPasswordAsync(UserSummary user)
    {
        var parameters = new DialogParameters<ResetPasswordDialog> { { d => d.User, user } };
        var dialog = await DialogService.ShowAsync<ResetPasswordDialog>($"Reset the password of {user.Email}", parameters);
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add("Password reset.", Severity.Success);
            await LoadAsync();
        }
    }

    private Task SetDisabledAsync(UserSummary user, bool disabled) =>
        RunAsync((admin, actor) => admin.SetDisabledAsync(actor, user.Id, disabled, Closing),
            disabled ? $"{user.Email} is disabled." : $"{user.Email} is enabled.");

    private Task UnlockAsync(UserSummary user) =>
        RunAsync((admin, actor) => admin.UnlockAsync(actor, user.Id, Closing), $"{user.Email} is unlocked.");

    private async Task RunAsync(Func<UserAdministration, string, Task<OperationResult>> change, string successMessage)
    {
        var actor = await CurrentUser.IdAsync();
        var result = await ScopeFactory.RunAsync<UserAdministration, OperationResult>(admin => change(admin, actor));
        if (result.Succeeded)
        {
            actionError = null;
            Snackbar.Add(successMessage, Severity.Success);
        }
        else
        {
            actionError = string.Join(" ", result.Errors.Select(e => e.Message));
        }

        await LoadAsync();
    }
}
