using ImapEvents.Core.Actions;
using ImapEvents.Core.Providers;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Providers;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Web.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace ImapEvents.Web.Features.Rules;

public sealed partial class RuleEditorDialog
{
    /// <summary>The order the editor lists days in (the history lists them the same way).</summary>
    internal static readonly DayOfWeek[] WeekFromMonday =
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday, DayOfWeek.Sunday];

    private static readonly string[] ZoneIds = TimeZoneInfo.GetSystemTimeZones().Select(z => z.Id).Order(StringComparer.Ordinal).ToArray();

    private CancellationTokenSource? counting_;
    private EventRule form = new();
    private IReadOnlyList<ExternalProvider> providers = [];
    private string timeOfDay = "";
    private IReadOnlyCollection<DayOfWeek> days = [];
    private uint version;
    private IReadOnlyDictionary<string, string> errors = new Dictionary<string, string>();
    private List<string> generalErrors = [];
    private string wouldHaveFiredText = "";
    private bool loading;
    private bool saving;
    private bool counting;

    [CascadingParameter]
    private IMudDialogInstance Dialog { get; set; } = default!;

    /// <summary>The rule to edit; null to add one.</summary>
    [Parameter]
    public Guid? RuleId { get; set; }

    [Inject]
    private RuleAdministration Rules { get; set; } = default!;

    [Inject]
    private RuleSet RuleSet { get; set; } = default!;

    [Inject]
    private CurrentUser CurrentUser { get; set; } = default!;

    [Inject]
    private IOptions<ActionOptions> ActionOptions { get; set; } = default!;

    [Inject]
    private ProviderAdministration Providers { get; set; } = default!;

    private string LogDirectory => ActionOptions.Value.ResolvedLogDirectory;

    private const string UsernamePlaceholder = "support@example.com or *@example.com";

    private string DefaultZoneName => RuleSet.DefaultZone.Id;

    protected override async Task OnInitializedAsync()
    {
        providers = await Providers.ListAsync(Closing);
        if (RuleId is { } id)
        {
            loading = true;
            var existing = await Rules.GetAsync(id, Closing);
            loading = false;
            if (existing is null)
            {
                generalErrors = ["This rule was deleted by someone else."];
                return;
            }

            form = existing;
            version = existing.Version;
            timeOfDay = TimeOfDayText.Format(existing.TimeFrom, existing.TimeTo);
            days = WeekFromMonday.Where(d => existing.DaysOfWeek != DaysOfWeek.None && RuleConditions.DayHolds(existing.DaysOfWeek, d)).ToList();
        }

        await RecountAsync();
    }

    private bool HasError(string field) => errors.ContainsKey(field);

    private string? ErrorFor(string field) => errors.GetValueOrDefault(field);

    private static Task<IEnumerable<string>> SearchZones(string? text, CancellationToken cancellationToken) =>
        Task.FromResult<IEnumerable<string>>(string.IsNullOrWhiteSpace(text)
            ? ZoneIds
            : ZoneIds.Where(z => z.Contains(text.Trim(), StringComparison.OrdinalIgnoreCase)));

    /// <summary>Applies the form's text fields to the rule; returns the problems the form itself can see.</summary>
    private Dictionary<string, string> ReadForm()
    {
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        if (TimeOfDayText.TryParse(timeOfDay, out var from, out var to) is { } timeProblem)
        {
            problems[RuleValidation.TimeOfDay] = timeProblem;
        }

        form.TimeFrom = from;
        form.TimeTo = to;
        form.DaysOfWeek = days.Aggregate(DaysOfWeek.None, (set, day) => set | (DaysOfWeek)(1 << (int)day));
        foreach (var (field, message) in RuleValidation.Validate(form))
        {
            problems.TryAdd(field, message);
        }

        return problems;
    }

    /// <summary>"Would have fired": the draft against the stored events of the last 7 days, as it is edited.</summary>
    private async Task RecountAsync()
    {
        if (counting_ is not null)
        {
            await counting_.CancelAsync();
        }

        var problems = ReadForm();
        if (errors.Count > 0)
        {
            // After a first Save, messages follow the fields as they are corrected.
            errors = new Dictionary<string, string>(problems);
        }

        // The count depends on the conditions only; a half-filled action must not hide it.
        problems.Remove(RuleValidation.Name);
        problems.Remove(RuleValidation.Actions);
        foreach (var key in problems.Keys.Where(k => k.StartsWith("Action ", StringComparison.Ordinal)).ToList())
        {
            problems.Remove(key);
        }

        if (problems.Count > 0)
        {
            wouldHaveFiredText = "Fix the fields marked in red to see how often this rule would have fired.";
            return;
        }

        counting_ = CancellationTokenSource.CreateLinkedTokenSource(Closing);
        counting = true;
        try
        {
            var count = await Rules.WouldHaveFiredAsync(form, counting_.Token);
            wouldHaveFiredText = count switch
            {
                0 => "This rule as edited would not have fired in the last 7 days.",
                1 => "This rule as edited would have fired once in the last 7 days.",
                _ => $"This rule as edited would have fired {count} times in the last 7 days.",
            };
        }
        catch (OperationCanceledException)
        {
            // A newer edit started its own count.
        }
        finally
        {
            counting = false;
        }
    }

    private void AddAction(ActionKind kind)
    {
        form.Actions.Add(RuleAction.Create(kind));
        RefreshErrors();
    }

    private void MoveAction(int index, int offset)
    {
        var target = index + offset;
        if (target < 0 || target >= form.Actions.Count)
        {
            return;
        }

        (form.Actions[index], form.Actions[target]) = (form.Actions[target], form.Actions[index]);
        RefreshErrors();
    }

    private void RemoveAction(int index)
    {
        form.Actions.RemoveAt(index);
        RefreshErrors();
    }

    /// <summary>After a first Save, messages follow the actions as they are added, moved and removed.</summary>
    private void RefreshErrors()
    {
        if (errors.Count > 0)
        {
            errors = ReadForm();
        }
    }

    private async Task SaveAsync()
    {
        generalErrors = [];
        var problems = ReadForm();
        errors = problems;
        if (problems.Count > 0)
        {
            return;
        }

        saving = true;
        try
        {
            var actor = await CurrentUser.IdAsync();
            var result = RuleId is { } id
                ? await Rules.UpdateAsync(actor, id, form, version, Closing)
                : await Rules.CreateAsync(actor, form, Closing);
            if (result.Succeeded)
            {
                Dialog.Close(DialogResult.Ok(result.Id));
                return;
            }

            errors = result.Errors;
            generalErrors = result.Errors.Where(e => e.Key.Length == 0).Select(e => e.Value).ToList();
        }
        finally
        {
            saving = false;
        }
    }

}
