using ImapEvents.Core.Text;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Web.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace ImapEvents.Web.Features.Rules;

/// <summary>"Import rules": a file, and what to do with rules that exist already. Closes with the <see cref="RuleImportResult"/>.</summary>
public sealed partial class RuleImportDialog
{
    private const long MaxImportBytes = 5 * 1024 * 1024;

    private string? fileName;
    private string? json;
    private ExistingRules existing = ExistingRules.KeepExisting;
    private List<string> errors = [];
    private bool importing;

    [CascadingParameter]
    private IMudDialogInstance Dialog { get; set; } = default!;

    [Inject]
    private RuleAdministration Rules { get; set; } = default!;

    [Inject]
    private CurrentUser CurrentUser { get; set; } = default!;

    private string ChoiceHelp => existing switch
    {
        ExistingRules.KeepExisting => "The rules here stay as they are; only rules with new names are added. Importing the same file again changes nothing.",
        ExistingRules.ReplaceExisting => "Each rule here with a name from the file becomes what the file says (its history records the change). " +
            "Webhook actions whose URL is unchanged keep their signing secret.",
    };

    private async Task ChooseAsync(IBrowserFile? file)
    {
        errors = [];
        json = null;
        fileName = file?.Name;
        if (file is null)
        {
            return;
        }

        if (file.Size > MaxImportBytes)
        {
            errors = [$"The file is {file.Size / 1024} KB; an export of rules is far smaller. Choose the JSON file \"Export rules\" wrote."];
            return;
        }

        try
        {
            using var reader = new StreamReader(file.OpenReadStream(MaxImportBytes, Closing));
            json = await reader.ReadToEndAsync(Closing);
        }
        catch (IOException ex)
        {
            errors = [$"The file could not be read: {Sentence.End(ex.Message)}"];
        }
    }

    private async Task ImportAsync()
    {
        if (json is null)
        {
            return;
        }

        importing = true;
        try
        {
            var result = await Rules.ImportAsync(await CurrentUser.IdAsync(), json, existing, Closing);
            if (result.Succeeded)
            {
                Dialog.Close(DialogResult.Ok(result));
                return;
            }

            errors = [.. result.Errors];
        }
        finally
        {
            importing = false;
        }
    }
}
