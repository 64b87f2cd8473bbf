using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using ImapEvents.Infrastructure;
using ImapEvents.Tests.TestSupport;
using ImapEvents.Web.Features.Mailboxes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace ImapEvents.Tests.Web;

public sealed class MailboxDialogComponentTests : ServiceComponentTestBase
{
    [Fact]
    public async Task Saving_AnEmptyForm_ExplainsEachRequiredField_NextToIt()
    {
        var provider = await OpenDialogAsync();

        await ClickButtonAsync(provider, "Save");

        await EventuallyAsync(() =>
        {
            Assert.Equal("Give the mailbox a name, like \"Support inbox\".", ErrorNextTo(provider, "Display name"));
            Assert.Equal("Enter the IMAP server's host name, like imap.example.com.", ErrorNextTo(provider, "Server name"));
            Assert.Equal("Enter the username ImapEvents logs in with.", ErrorNextTo(provider, "Login username"));
            Assert.Equal("Enter the password of this account.", ErrorNextTo(provider, "Password"));
        });
    }

    [Fact]
    public async Task BadValues_AreExplained_AndWhatWasTypedIsKept()
    {
        var provider = await OpenDialogAsync();
        await ChangeFieldAsync(provider, "Display name", "Support");
        await ChangeFieldAsync(provider, "Server name", "imap://mail.example.com");
        await ChangeFieldAsync(provider, "Server port", "70000");
        await ChangeFieldAsync(provider, "Poll interval (minutes)", "90");

        await ClickButtonAsync(provider, "Save");

        await EventuallyAsync(() =>
        {
            Assert.StartsWith("Enter a host name like imap.example.com", ErrorNextTo(provider, "Server name"), StringComparison.Ordinal);
            Assert.StartsWith("Enter a port from 1 to 65535", ErrorNextTo(provider, "Server port"), StringComparison.Ordinal);
            Assert.Equal("Above 60 minutes, use whole hours (120, 180, …).", ErrorNextTo(provider, "Poll interval (minutes)"));
            Assert.Null(ErrorNextTo(provider, "Display name"));
            Assert.Equal("Support", Input(provider, "Display name").GetAttribute("value"));
            Assert.Equal("imap://mail.example.com", Input(provider, "Server name").GetAttribute("value"));
            Assert.Equal("70000", Input(provider, "Server port").GetAttribute("value"));
        });
    }

    [Fact]
    public async Task ThePassword_OfASavedMailbox_IsNeverRenderedBack()
    {
        var saved = await Service<ImapEvents.Infrastructure.Mailboxes.MailboxAdministration>().CreateAsync(new ImapEvents.Core.Mailboxes.MailboxSettings
        {
            DisplayName = "Saved",
            ServerName = "imap.example.com",
            LoginUsername = "support",
            Password = "never-shown-again",
        }, default);

        var editor = await OpenDialogAsync("Edit Saved", new DialogParameters<MailboxDialog> { { d => d.MailboxId, saved.Id } });
        await EventuallyAsync(() => Assert.Equal("Saved", Input(editor, "Display name").GetAttribute("value")));

        var password = Input(editor, "Password");
        Assert.Equal("password", password.GetAttribute("type"));
        Assert.True(string.IsNullOrEmpty(password.GetAttribute("value")));
        Assert.DoesNotContain("never-shown-again", editor.Markup, StringComparison.Ordinal);
        Assert.Contains("Leave empty to keep the stored password.", editor.Markup, StringComparison.Ordinal);
    }

    private Task<IRenderedComponent<MailboxDialog>> OpenDialogAsync() => OpenDialogAsync<MailboxDialog>("Add mailbox");

    private Task<IRenderedComponent<MailboxDialog>> OpenDialogAsync(string title, DialogParameters<MailboxDialog> parameters) =>
        OpenDialogAsync<MailboxDialog>(title, parameters);
}
