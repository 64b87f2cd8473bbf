using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using ImapEvents.Infrastructure;
using ImapEvents.Tests.TestSupport;
using ImapEvents.Web.Features.Rules;
using ImapEvents.Web.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.Web;

public sealed class RuleEditorComponentTests : ServiceComponentTestBase
{
    [Fact]
    public async Task TheEditor_UsesTheSourceFeaturesFieldLabels()
    {
        var editor = await OpenDialogAsync<RuleEditorDialog>("Add rule");

        foreach (var label in new[] { "Name", "Enabled", "Event Type", "Time of Day", "Day of Week", "Server Name", "Server Port", "Login Username", "SSL" })
        {
            Assert.NotNull(Input(editor, label));
        }
    }

    [Fact]
    public async Task BadInput_IsExplainedNextToTheField_AndKept()
    {
        var editor = await OpenDialogAsync<RuleEditorDialog>("Add rule");
        await ChangeFieldAsync(editor, "Time of Day", "25:00 until 6");
        await ChangeFieldAsync(editor, "Server Port", "70000");
        await ChangeFieldAsync(editor, "Server Name", "imap example.com");

        await ClickButtonAsync(editor, "Save");

        await EventuallyAsync(() =>
        {
            Assert.Equal("Give the rule a name, like \"Page on-call when support cannot log in\".", ErrorNextTo(editor, "Name"));
            Assert.StartsWith("Write the time frame as from-to", ErrorNextTo(editor, "Time of Day"), StringComparison.Ordinal);
            Assert.StartsWith("Enter a port from 1 to 65535", ErrorNextTo(editor, "Server Port"), StringComparison.Ordinal);
            Assert.StartsWith("Spaces are not allowed", ErrorNextTo(editor, "Server Name"), StringComparison.Ordinal);
            Assert.Equal("25:00 until 6", Input(editor, "Time of Day").GetAttribute("value"));
            Assert.Equal("70000", Input(editor, "Server Port").GetAttribute("value"));
            Assert.Equal("imap example.com", Input(editor, "Server Name").GetAttribute("value"));
        });
    }

    [Fact]
    public async Task WouldHaveFired_IsShownWhileEditing()
    {
        var editor = await OpenDialogAsync<RuleEditorDialog>("Add rule");

        await EventuallyAsync(() => Assert.Contains("would not have fired in the last 7 days", editor.Markup, StringComparison.Ordinal));

        await ChangeFieldAsync(editor, "Time of Day", "nonsense");
        await EventuallyAsync(() => Assert.Contains("Fix the fields marked in red", editor.Markup, StringComparison.Ordinal));
    }

    private async Task AddActionAsync(IRenderedComponent<RuleEditorDialog> editor, string kind)
    {
        await ClickButtonAsync(editor, "Add action");
        await EventuallyAsync(() => Assert.Contains(Popovers.FindAll(".mud-menu-item"), i => i.TextContent.Trim() == kind));
        await Popovers.InvokeAsync(() => Popovers.FindAll(".mud-menu-item").Single(i => i.TextContent.Trim() == kind).ClickAsync(new MouseEventArgs()));
        await EventuallyAsync(() => Assert.NotNull(editor.Find($"[role=group][aria-label='Action 1: {kind}']")));
    }

    [Fact]
    public async Task ARuleNeedsAnAction_AndEachKindShowsItsOwnLabelledFields()
    {
        var editor = await OpenDialogAsync<RuleEditorDialog>("Add rule");
        await ChangeFieldAsync(editor, "Name", "Night shift");
        await ClickButtonAsync(editor, "Save");
        await EventuallyAsync(() => Assert.Equal("Add at least one action: what should happen when the rule matches.", editor.Find("[role=alert]").TextContent.Trim()));

        await AddActionAsync(editor, "Log to File");

        foreach (var label in new[] { "File Name", "Message", "Max Frequency" })
        {
            Assert.NotNull(Input(editor, label));
        }

        // Log to File is throttled by default, as in the source feature.
        Assert.Equal("At most once every 15 minutes", Input(editor, "Max Frequency").GetAttribute("value"));
        Assert.Equal("Night shift", Input(editor, "Name").GetAttribute("value"));
    }

    [Fact]
    public async Task ABadWebhookUrl_IsExplainedNextToItsField_AndKept()
    {
        var editor = await OpenDialogAsync<RuleEditorDialog>("Add rule");
        await ChangeFieldAsync(editor, "Name", "Hook");
        await AddActionAsync(editor, "Call Webhook");
        await TypeIntoFieldAsync(editor, "URL", "hooks.example.com/{Server}");

        await ClickButtonAsync(editor, "Save");

        await EventuallyAsync(() =>
        {
            Assert.StartsWith("{Server} is not a placeholder", ErrorNextTo(editor, "URL"), StringComparison.Ordinal);
            Assert.StartsWith("Generate a signing secret", ErrorNextTo(editor, "Signing Secret"), StringComparison.Ordinal);
            Assert.Equal("hooks.example.com/{Server}", Input(editor, "URL").GetAttribute("value"));
        });

        await ClickButtonAsync(editor, "Generate secret");
        await EventuallyAsync(() =>
        {
            Assert.StartsWith("whsec_", Input(editor, "Signing Secret").GetAttribute("value"), StringComparison.Ordinal);
            Assert.Null(ErrorNextTo(editor, "Signing Secret"));
        });
    }

    [Fact]
    public async Task AKeyInAUrl_IsWarnedAboutNextToTheField()
    {
        var editor = await OpenDialogAsync<RuleEditorDialog>("Add rule");
        await AddActionAsync(editor, "Call Web Page");

        await TypeIntoFieldAsync(editor, "URL", "https://tasks.example.com/new?apikey=abc123");

        await EventuallyAsync(() => Assert.Equal(
            "This URL holds a key (apikey). It is stored encrypted, shown as *** from now on, and left out of exports and the rule history.",
            HelperTextOf(editor, "URL")));
    }

    [Fact]
    public async Task AMetadataAddress_IsRefusedNextToTheUrlField()
    {
        var editor = await OpenDialogAsync<RuleEditorDialog>("Add rule");
        await ChangeFieldAsync(editor, "Name", "Metadata");
        await AddActionAsync(editor, "Call Web Page");
        await TypeIntoFieldAsync(editor, "URL", "http://169.254.169.254/latest/meta-data/");

        await ClickButtonAsync(editor, "Save");

        await EventuallyAsync(() => Assert.Equal(
            "169.254.169.254 is a link-local / cloud metadata address, which ImapEvents never calls. Enter the receiver's own address.",
            ErrorNextTo(editor, "URL")));
    }

    private static string? HelperTextOf(IRenderedComponent<RuleEditorDialog> editor, string label) =>
        Input(editor, label).Closest(".mud-input-control")?.QuerySelector(".mud-input-helper-text")?.TextContent.Trim();
}
