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
        await Input(editor, "Time of Day").ChangeAsync(new ChangeEventArgs { Value = "25:00 until 6" });
        await Input(editor, "Server Port").ChangeAsync(new ChangeEventArgs { Value = "70000" });
        await Input(editor, "Server Name").ChangeAsync(new ChangeEventArgs { Value = "imap example.com" });

        await editor.FindAll("button").Single(b => b.TextContent.Trim() == "Save").ClickAsync(new MouseEventArgs());

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

        await Input(editor, "Time of Day").ChangeAsync(new ChangeEventArgs { Value = "nonsense" });
        await EventuallyAsync(() => Assert.Contains("Fix the fields marked in red", editor.Markup, StringComparison.Ordinal));
    }
}
