using ImapEvents.Core.Checks;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Web.Shared;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace ImapEvents.Web.Features.Mailboxes;

public sealed partial class MailboxDialog
{
    /// <summary>The form binds to the settings directly; what was typed stays on every error.</summary>
    private MailboxSettings form = new();
    private readonly Dictionary<CheckStage, StageReport> testReports = [];
    private readonly FormErrors errors;
    private uint version;
    private bool loading;
    private bool gone;
    private bool testing;

    public MailboxDialog()
    {
        errors = new FormErrors(() => MailboxRules.Validate(form, isNew: MailboxId is null));
    }

    [CascadingParameter]
    private IMudDialogInstance Dialog { get; set; } = default!;

    /// <summary>The mailbox to edit; null to add a new one.</summary>
    [Parameter]
    public Guid? MailboxId { get; set; }

    [Inject]
    private MailboxAdministration Mailboxes { get; set; } = default!;

    [Inject]
    private ConnectionTester Tester { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        if (MailboxId is not { } id)
        {
            return;
        }

        loading = true;
        var existing = await Mailboxes.GetForEditAsync(id, Closing);
        loading = false;
        if (existing is null)
        {
            gone = true;
            await errors.ShowAsync([KeyValuePair.Create("", "This mailbox was deleted by someone else.")]);
            return;
        }

        form = existing.Settings;
        version = existing.Version;
    }

    private void SecurityChanged(ConnectionSecurity security)
    {
        // Suggest the usual port when the person has not chosen another one.
        if (form.ServerPort is null or 143 or 993)
        {
            form.ServerPort = security == ConnectionSecurity.SslOnConnect ? 993 : 143;
        }

        form.Security = security;
    }

    private async Task SaveAsync()
    {
        var result = MailboxId is { } id
            ? await Mailboxes.UpdateAsync(id, form, version, Closing)
            : await Mailboxes.CreateAsync(form, Closing);
        if (result.Succeeded)
        {
            Dialog.Close(DialogResult.Ok(result));
            return;
        }

        await errors.ShowAsync(result.Errors);
    }

    private async Task TestAsync()
    {
        // The display name is not needed to test; every other problem is shown as Save would show it.
        if (MailboxRules.Validate(form, isNew: false).Any(e => e.Key is not nameof(MailboxSettings.DisplayName)))
        {
            await errors.CheckAsync();
            return;
        }

        testing = true;
        testReports.Clear();
        foreach (var stage in Enum.GetValues<CheckStage>())
        {
            testReports[stage] = new StageReport(stage, StageState.Waiting, "", TimeSpan.Zero);
        }

        try
        {
            var target = await Mailboxes.ForTestAsync(MailboxId, form, Closing);
            if (target is not { } mailbox)
            {
                testReports.Clear();
                await errors.ShowAsync([KeyValuePair.Create(nameof(MailboxSettings.Password),
                    MailboxId is null ? "Enter the password to test the connection." : MailboxAdministration.PasswordForNewServer)]);
                return;
            }

            var progress = new Progress<StageReport>(report =>
            {
                testReports[report.Stage] = report;
                _ = InvokeAsync(StateHasChanged);
            });
            await Tester.TestAsync(mailbox.Mailbox, mailbox.Password, progress, Closing);
        }
        catch (OperationCanceledException) when (Closing.IsCancellationRequested)
        {
        }
        finally
        {
            testing = false;
        }
    }

    private static string StateText(StageReport report) => report.State switch
    {
        StageState.Waiting => "waiting",
        StageState.Running => "running…",
        StageState.Passed => $"passed in {report.Elapsed.TotalMilliseconds:0} ms. {report.Detail}",
        StageState.Failed => $"failed. {report.Detail}",
        StageState.NotRun => report.Detail,
    };

}
