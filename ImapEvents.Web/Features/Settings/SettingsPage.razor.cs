using ImapEvents.Core.Email;
using ImapEvents.Infrastructure.Email;
using ImapEvents.Web.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace ImapEvents.Web.Features.Settings;

public sealed partial class SettingsPage
{
    private SmtpSettings form = new();
    private string? newPassword;
    private bool hasStoredPassword;
    private string? testRecipient;
    private readonly FormErrors errors;
    private string? lastSaved;
    private string? testOutcome;
    private bool testSucceeded;
    private bool loading = true;
    private bool busy;
    private bool testing;

    public SettingsPage()
    {
        errors = new FormErrors(() => SmtpSettingsValidation.Validate(form, newPassword));
    }

    [Inject]
    private SmtpSettingsStore Store { get; set; } = default!;

    [Inject]
    private EmailSender Email { get; set; } = default!;

    [Inject]
    private CurrentUser CurrentUser { get; set; } = default!;

    [Inject]
    private ViewerTime Viewer { get; set; } = default!;

    [Inject]
    private AuthenticationStateProvider Authentication { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        form = await Store.GetAsync(Closing);
        hasStoredPassword = form.ProtectedPassword is not null;
        lastSaved = form.UpdatedBy is null ? null : $"Last saved by {form.UpdatedBy} at {Viewer.Text(form.UpdatedAt)}.";
        testRecipient = (await Authentication.GetAuthenticationStateAsync()).User.Identity?.Name;
        loading = false;
    }

    private async Task SaveAsync()
    {
        if (!await errors.CheckAsync())
        {
            return;
        }

        busy = true;
        try
        {
            var email = await CurrentUser.EmailAsync();
            var result = await Store.SaveAsync(email, form, newPassword, Closing);
            await errors.ShowAsync(result.Errors);
            if (result.Succeeded)
            {
                newPassword = null;
                form = await Store.GetAsync(Closing);
                hasStoredPassword = form.ProtectedPassword is not null;
                lastSaved = $"Last saved by {form.UpdatedBy} at {Viewer.Text(form.UpdatedAt)}.";
                Snackbar.Add("SMTP settings saved.", Severity.Success);
            }
        }
        finally
        {
            busy = false;
        }
    }

    private async Task SendTestAsync()
    {
        busy = testing = true;
        testOutcome = null;
        try
        {
            var result = await Email.SendTestAsync(form, newPassword, testRecipient ?? "", Closing);
            await errors.ShowAsync(result.Errors);
            if (result.Sent is { } sent)
            {
                testSucceeded = sent.Succeeded;
                testOutcome = sent.Succeeded
                    ? $"The SMTP server accepted the test email for {testRecipient?.Trim()}. If it does not arrive, look in the spam folder."
                    : sent.Error;
            }
        }
        finally
        {
            busy = testing = false;
        }
    }
}
