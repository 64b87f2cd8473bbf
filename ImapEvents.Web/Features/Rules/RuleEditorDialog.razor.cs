using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Providers;
using ImapEvents.Core.Rules;
using ImapEvents.Core.Text;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Incidents;
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
    private IReadOnlyDictionary<string, RuleOwner> owners = new Dictionary<string, RuleOwner>();
    private bool ownershipTaken;
    private string timeOfDay = "";
    private IReadOnlyCollection<DayOfWeek> days = [];
    private uint version;
    private readonly FormErrors errors;
    private string wouldHaveFiredText = "";
    private bool loading;
    private bool gone;
    private bool counting;
    private bool actionsChanged;

    /// <summary>Incident options the chosen event type hides, as they were: choosing a type that shows them brings them back.</summary>
    private readonly Dictionary<string, object?> setAside = new(StringComparer.Ordinal);

    public RuleEditorDialog()
    {
        errors = new FormErrors(ReadForm);
    }

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

    [Inject]
    private IOptions<IncidentSettings> IncidentSettings { get; set; } = default!;

    private TimeSpan GroupingWindow => IncidentSettings.Value.GroupingWindow;

    private string GroupingWindowText => DurationText.Of(GroupingWindow);

    private string FireAfterHelp => form.EventType == ImapEventType.Recovered
        ? $"Only incidents that lasted at least this many failed checks (1–{RuleValidation.MaxFireAfterFailures}); 1 = every recovery."
        : $"Failed checks in a row before this rule notifies (1–{RuleValidation.MaxFireAfterFailures}); 1 = at the first failure.";

    private string LogDirectory => ActionOptions.Value.ResolvedLogDirectory;

    private const string UsernamePlaceholder = "support@example.com or *@example.com";

    private string DefaultZoneName => RuleSet.DefaultZone.Id;

    protected override async Task OnInitializedAsync()
    {
        // Loading from the start: an empty form shown while the providers load would show the defaults, not the rule.
        loading = RuleId is not null;
        providers = await Providers.ListAsync(Closing);
        if (RuleId is { } id)
        {
            var existing = await Rules.GetAsync(id, Closing);
            loading = false;
            if (existing is null)
            {
                gone = true;
                await errors.ShowAsync([KeyValuePair.Create("", "This rule was deleted by someone else.")]);
                return;
            }

            form = existing;
            version = existing.Version;
            owners = await Rules.OwnersAsync(Closing);
            timeOfDay = TimeOfDayText.Format(existing.TimeFrom, existing.TimeTo);
            days = WeekFromMonday.Where(d => existing.DaysOfWeek != DaysOfWeek.None && RuleConditions.DayHolds(existing.DaysOfWeek, d)).ToList();
        }

        await RecountAsync();
    }

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
        // The count depends on the conditions and the incident options only; a half-filled action must not hide it.
        problems.Remove(RuleValidation.Name);
        problems.Remove(RuleValidation.Actions);
        problems.Remove(RuleValidation.EscalationActions);
        foreach (var key in problems.Keys.Where(IsActionKey).ToList())
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
            var result = await Rules.WouldHaveFiredAsync(form, counting_.Token);
            wouldHaveFiredText = WouldHaveFiredText.Describe(result, IncidentOptions.Of(form), GroupingWindow);
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

    /// <summary>A field of one action ("Action 2: URL", "Escalation action 1: URL"; see <see cref="ActionValidation.Key"/>).</summary>
    private static bool IsActionKey(string key) =>
        key.StartsWith("Action ", StringComparison.Ordinal) || key.StartsWith("Escalation action ", StringComparison.Ordinal);

    private Task AddAction(ActionKind kind)
    {
        form.Actions.Add(RuleAction.Create(kind));
        return ActionsChangedAsync();
    }

    private Task AddEscalationAction(ActionKind kind)
    {
        form.EscalationActions.Add(RuleAction.Create(kind));
        return ActionsChangedAsync();
    }

    private Task MoveAction(List<RuleAction> actions, int index, int offset)
    {
        var target = index + offset;
        if (target < 0 || target >= actions.Count)
        {
            return Task.CompletedTask;
        }

        (actions[index], actions[target]) = (actions[target], actions[index]);
        return ActionsChangedAsync();
    }

    private Task RemoveAction(List<RuleAction> actions, int index)
    {
        actions.RemoveAt(index);
        return ActionsChangedAsync();
    }

    private async Task EventTypeChangedAsync()
    {
        var type = form.EventType;
        var failure = type.HasIncidentOptions();
        ScopeOption(RuleValidation.FireAfterFailures, type.HasFailureCount(), () => form.FireAfterFailures, v => form.FireAfterFailures = v, 1);
        ScopeOption(RuleValidation.Notify, failure, () => form.Notify, v => form.Notify = v, NotifyMode.EveryEvent);
        ScopeOption(RuleValidation.NotifyOnRecovery, failure, () => form.NotifyOnRecovery, v => form.NotifyOnRecovery = v, false);
        ScopeOption(RuleValidation.GroupByServer, failure, () => form.GroupByServer, v => form.GroupByServer = v, false);
        ScopeOption(RuleValidation.EscalateAfterMinutes, failure, () => form.EscalateAfterMinutes, v => form.EscalateAfterMinutes = v, null);
        ScopeOption(RuleValidation.EscalationActions, failure, () => form.EscalationActions, v => form.EscalationActions = v, []);
        await RecountAsync();
    }

    /// <summary>
    /// Keeps the rule to the options its event type can use: a hidden option goes back to its default (so the rule
    /// saves, and behaves, as it shows) and its value is set aside; when the option shows again, the value comes back.
    /// </summary>
    private void ScopeOption<T>(string option, bool shown, Func<T> get, Action<T> set, T defaultValue)
    {
        if (shown)
        {
            if (setAside.Remove(option, out var kept))
            {
                set((T)kept!);
            }

            return;
        }

        var value = get();
        var isDefault = value is List<RuleAction> list ? list.Count == 0 : EqualityComparer<T>.Default.Equals(value, defaultValue);
        if (!isDefault)
        {
            setAside[option] = value;
            set(defaultValue);
        }
    }

    /// <summary>Action keys carry their place ("Action 2: URL"): after a move every message follows its action.</summary>
    private Task ActionsChangedAsync()
    {
        actionsChanged = true;
        return errors.RecheckAsync();
    }

    /// <summary>Makes the signed-in administrator the owner at once; the edits in the form stay, to be saved as usual.</summary>
    private async Task TakeOwnershipAsync()
    {
        var result = await Rules.TakeOwnershipAsync(await CurrentUser.IdAsync(), RuleId!.Value, version, Closing);
        if (!result.Succeeded)
        {
            await errors.ShowAsync(result.Errors);
            return;
        }

        version = result.Version!.Value;
        form.OwnerId = await CurrentUser.IdAsync();
        owners = await Rules.OwnersAsync(Closing);
        ownershipTaken = true;
    }

    private async Task SaveAsync()
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

        await errors.ShowAsync(result.Errors);
    }
}
