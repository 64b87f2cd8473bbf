using ImapEvents.Infrastructure.Activity;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Web.Shared;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace ImapEvents.Web.Features.Mailboxes;

public sealed partial class MailboxesPage
{
    private MudTable<MailboxRow>? table;
    private string search = "";
    private MailboxHealthState? health;

    /// <summary>
    /// Check now asked on this page and not yet answered by a finished check: the row says so and its button waits,
    /// so the person sees their click was taken and does not queue the same check twice.
    /// </summary>
    private readonly Dictionary<Guid, DateTimeOffset> checksAsked = [];

    /// <summary>After this, a check asked for and never finished (its job failed for good) no longer holds the row.</summary>
    private static readonly TimeSpan CheckAskedFor = TimeSpan.FromMinutes(5);

    /// <summary>"?health=failing": the dashboard's health tiles link here.</summary>
    [SupplyParameterFromQuery(Name = "health")]
    public string? HealthParameter { get; set; }

    [Inject]
    private ViewerTime Viewer { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private MailboxAdministration Mailboxes { get; set; } = default!;

    [Inject]
    private IDialogService DialogService { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    /// <summary>Health changes while the page is open (checks run on any instance); show it without asking for a reload.</summary>
    protected override void OnInitialized()
    {
        health = MailboxHealthFilter.Parse(HealthParameter);
        ReloadOn(ActivityKinds.Checks | ActivityKinds.Mailboxes, _ => ReloadAsync());
    }

    /// <summary>The filter lives in the address: a filtered list survives a reload and can be shared.</summary>
    protected override async Task OnParametersSetAsync()
    {
        var inAddress = MailboxHealthFilter.Parse(HealthParameter);
        if (inAddress != health)
        {
            health = inAddress;
            await ReloadAsync();
        }
    }

    private void HealthChanged(MailboxHealthState? value) =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("health", value is { } state ? MailboxHealthFilter.Token(state) : null), replace: true);

    private async Task<TableData<MailboxRow>> LoadAsync(TableState state, CancellationToken cancellationToken)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Closing);
        var page = await Mailboxes.ListAsync(new MailboxListQuery(search, state.Page, state.PageSize, health), both.Token);
        // A check asked for long ago goes, listed or not (a search may hide its row), so the page stops looking again.
        var now = Time.GetUtcNow();
        foreach (var (id, asked) in checksAsked.Where(ask => now - ask.Value > CheckAskedFor).ToList())
        {
            checksAsked.Remove(id);
        }

        foreach (var row in page.Items)
        {
            if (checksAsked.TryGetValue(row.Id, out var asked) && !row.CheckingNow && row.LastCheckAt >= asked)
            {
                checksAsked.Remove(row.Id);
            }
        }

        return new TableData<MailboxRow> { Items = page.Items, TotalItems = page.TotalCount };
    }

    private async Task SearchAsync(string value)
    {
        search = value ?? "";
        await ReloadAsync();
    }

    private Task ReloadAsync() => table?.ReloadServerData() ?? Task.CompletedTask;

    private async Task CreateAsync()
    {
        var dialog = await DialogService.ShowAsync<MailboxDialog>("Add mailbox", new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: MailboxSaveResult saved })
        {
            Snackbar.Add(saved.CheckQueued ? "Mailbox added. Its first check runs now; its result appears here." : "Mailbox added.", Severity.Success);
            await ReloadAsync();
        }
    }

    private async Task EditAsync(MailboxRow row)
    {
        var parameters = new DialogParameters<MailboxDialog> { { d => d.MailboxId, row.Id } };
        var dialog = await DialogService.ShowAsync<MailboxDialog>($"Edit {row.DisplayName}", parameters, new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: MailboxSaveResult saved })
        {
            Snackbar.Add(saved.CheckQueued ? "Mailbox saved. It is checked now with the new settings." : "Mailbox saved.", Severity.Success);
            await ReloadAsync();
        }
    }

    private async Task SetEnabledAsync(MailboxRow row, bool enabled)
    {
        if (await Mailboxes.SetEnabledAsync(row.Id, enabled, Closing))
        {
            Snackbar.Add(enabled ? $"{row.DisplayName} is checked again, starting now." : $"{row.DisplayName} is no longer checked.", Severity.Info);
        }
        else
        {
            Snackbar.Add($"{row.DisplayName} was deleted by someone else.", Severity.Warning);
        }

        await ReloadAsync();
    }

    private bool CheckAsked(MailboxRow row) => checksAsked.ContainsKey(row.Id);

    /// <summary>
    /// Looks again every few seconds while a check asked for here is not done: a check that changes nothing (a mailbox
    /// failing as before) says nothing to the pages, and the person waiting should still see it end.
    /// </summary>
    private async Task FollowAskedChecksAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2), Time);
        try
        {
            var waiting = true;
            while (waiting && await timer.WaitForNextTickAsync(Closing))
            {
                // On the page's dispatcher, like every other change of what it shows.
                await InvokeAsync(async () =>
                {
                    await ReloadAsync();
                    StateHasChanged();
                    waiting = checksAsked.Count > 0;
                });
            }
        }
        catch (OperationCanceledException) when (Closing.IsCancellationRequested)
        {
            // The page went away.
        }
    }

    private void CheckNow(MailboxRow row)
    {
        var following = checksAsked.Count > 0;
        checksAsked[row.Id] = Time.GetUtcNow();
        Mailboxes.CheckNow(row.Id);
        if (!following)
        {
            _ = FollowAskedChecksAsync();
        }

        Snackbar.Add($"A check of {row.DisplayName} is queued. Its result appears here and on the Events page.", Severity.Info);
    }

    private async Task DeleteAsync(MailboxRow row)
    {
        var confirmed = await DialogService.ShowMessageBoxAsync(
            "Delete mailbox",
            $"Delete {row.DisplayName}? Its checks stop, and its imported messages and check history are deleted. Its events stay in the event list.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        await Mailboxes.DeleteAsync(row.Id, Closing);
        Snackbar.Add($"{row.DisplayName} deleted.", Severity.Success);
        await ReloadAsync();
    }
}
