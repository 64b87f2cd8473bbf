using Bunit;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Tests.TestSupport;
using ImapEvents.Web.Features.Mailboxes;
using ImapEvents.Web.Features.Profile;
using ImapEvents.Web.Features.Providers;
using ImapEvents.Web.Features.Rules;
using ImapEvents.Web.Features.Settings;
using ImapEvents.Web.Features.Users;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace ImapEvents.Tests.Web;

/// <summary>
/// Every form, the same sequence: Save shows an error, a second wrong value is typed, and the message
/// stays next to the field; Save again says why nothing was saved. (MudBlazor used to drop the message
/// on the second wrong value, and Save then did nothing, silently.)
/// </summary>
public sealed class FormValidationComponentTests : ServiceComponentTestBase
{
    private const string NotSaved = "to correct before saving";

    [Theory]
    [InlineData("Server port", "0", "70000")]
    [InlineData("Poll interval (minutes)", "0", "5000")]
    [InlineData("Server name", "bad host", "imap://x y")]
    public async Task MailboxDialog_ASecondWrongValue_KeepsItsMessage(string label, string first, string second)
    {
        var dialog = await OpenDialogAsync<MailboxDialog>("Add mailbox");

        await SecondWrongValueKeepsItsMessageAsync(dialog, label, first, second);
    }

    [Fact]
    public async Task MailboxDialog_CorrectingAField_RemovesOnlyItsMessage()
    {
        var dialog = await OpenDialogAsync<MailboxDialog>("Add mailbox");
        await ChangeFieldAsync(dialog, "Server port", "0");
        await ClickButtonAsync(dialog, "Save");
        await EventuallyAsync(() => Assert.NotNull(ErrorNextTo(dialog, "Server port")));

        await ChangeFieldAsync(dialog, "Server port", "993");

        await EventuallyAsync(() =>
        {
            Assert.Null(ErrorNextTo(dialog, "Server port"));
            Assert.Equal("Give the mailbox a name, like \"Support inbox\".", ErrorNextTo(dialog, "Display name"));
            Assert.Contains(NotSaved, dialog.Markup, StringComparison.Ordinal);
        });
    }

    [Theory]
    [InlineData("Server Port", "0", "70000")]
    [InlineData("Time of Day", "25:00", "8 to 9")]
    [InlineData("Server Name", "bad host", "imap://x y")]
    public async Task RuleEditor_ASecondWrongValue_KeepsItsMessage(string label, string first, string second)
    {
        var dialog = await OpenDialogAsync<RuleEditorDialog>("Add rule");

        await SecondWrongValueKeepsItsMessageAsync(dialog, label, first, second);
    }

    [Theory]
    [InlineData("Password", "", "short")]
    [InlineData("Email", "not-an-email", "still not")]
    public async Task CreateUserDialog_ASecondWrongValue_KeepsItsMessage(string label, string first, string second)
    {
        var dialog = await OpenDialogAsync<CreateUserDialog>("Create user");

        await SecondWrongValueKeepsItsMessageAsync(dialog, label, first, second, "Create user");
    }

    [Fact]
    public async Task ResetPasswordDialog_ASecondWrongValue_KeepsItsMessage()
    {
        var user = new UserSummary("id", "someone@example.test", [Roles.Agent], IsDisabled: false, LockedOutUntil: null, CreatedAt: DateTimeOffset.UtcNow);
        var dialog = await OpenDialogAsync("Reset", new DialogParameters<ResetPasswordDialog> { { d => d.User, user } });

        await SecondWrongValueKeepsItsMessageAsync(dialog, "New password", "", "short", "Reset password");
    }

    [Theory]
    [InlineData("Endpoint", "not a url", "ftp://x")]
    [InlineData("Name", "", " ")]
    public async Task ProviderDialog_ASecondWrongValue_KeepsItsMessage(string label, string first, string second)
    {
        var dialog = await OpenDialogAsync<ProviderDialog>("Add provider");

        await SecondWrongValueKeepsItsMessageAsync(dialog, label, first, second);
    }

    [Theory]
    [InlineData("SMTP Port", "0", "70000")]
    [InlineData("SMTP Server", "bad host", "smtp://x y")]
    public async Task SettingsPage_ASecondWrongValue_KeepsItsMessage(string label, string first, string second)
    {
        var page = Render<SettingsPage>();
        await EventuallyAsync(() => Assert.NotEmpty(page.FindAll("label")));

        await SecondWrongValueKeepsItsMessageAsync(page, label, first, second);
    }

    [Fact]
    public async Task NotificationProfilePage_ASecondWrongValue_KeepsItsMessage()
    {
        var page = Render<NotificationProfilePage>();
        await EventuallyAsync(() => Assert.NotEmpty(page.FindAll("label")));

        await SecondWrongValueKeepsItsMessageAsync(page, "Email Addresses", "not-an-address", "also wrong@");
    }

    private static async Task SecondWrongValueKeepsItsMessageAsync<TComponent>(
        IRenderedComponent<TComponent> form, string label, string first, string second, string save = "Save")
        where TComponent : IComponent
    {
        await ChangeFieldAsync(form, label, first);
        await ClickButtonAsync(form, save);
        string? firstMessage = null;
        await EventuallyAsync(() => Assert.NotNull(firstMessage = ErrorNextTo(form, label)));
        Assert.Contains(NotSaved, form.Markup, StringComparison.Ordinal);

        await ChangeFieldAsync(form, label, second);

        await EventuallyAsync(() => Assert.NotNull(ErrorNextTo(form, label)));

        await ClickButtonAsync(form, save);

        await EventuallyAsync(() =>
        {
            Assert.NotNull(ErrorNextTo(form, label));
            Assert.Equal(second, Input(form, label).GetAttribute("value"));
            Assert.Contains(NotSaved, form.Markup, StringComparison.Ordinal);
        });
    }
}
