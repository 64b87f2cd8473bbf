using System.Globalization;
using ImapEvents.Core.Maintenance;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Maintenance;
using ImapEvents.Web.Features.Rules;
using ImapEvents.Web.Shared;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace ImapEvents.Web.Features.Maintenance;

/// <summary>
/// Adds or changes a maintenance window. Dates and times are typed as on the wall clock of the chosen zone
/// and kept as typed; they become instants only when the form is read, so nothing typed is lost on an error.
/// </summary>
public sealed partial class MaintenanceDialog
{
    private const string DateTimeFormat = "yyyy-MM-dd'T'HH:mm";
    private const string TimeFormat = "HH:mm";

    private static readonly string[] ZoneIds = TimeZoneInfo.GetSystemTimeZones().Select(z => z.Id).Order(StringComparer.Ordinal).ToArray();

    private readonly FormErrors errors;
    private readonly Func<Guid, string?> mailboxName;
    private MaintenanceWindow form = new() { Recurrence = MaintenanceRecurrence.Once };
    private IReadOnlyList<MailboxChoice> mailboxes = [];
    private IReadOnlyCollection<Guid> chosen = [];
    private IReadOnlyCollection<DayOfWeek> days = [];
    private string? timeZone;
    private string? starts;
    private string? ends;
    private string? from;
    private string? to;
    private uint version;
    private bool loading;
    private bool gone;

    public MaintenanceDialog()
    {
        errors = new FormErrors(ReadForm);
        // One delegate for the dialog's life: a new one on every render is a changed parameter, and with
        // mailboxes already chosen the select and this dialog then rendered each other without end.
        mailboxName = id => mailboxes.FirstOrDefault(m => m.Id == id)?.DisplayName ?? "(deleted mailbox)";
    }

    [CascadingParameter]
    private IMudDialogInstance Dialog { get; set; } = default!;

    /// <summary>The window to change; null to add one.</summary>
    [Parameter]
    public Guid? WindowId { get; set; }

    [Inject]
    private MaintenanceAdministration Maintenance { get; set; } = default!;

    [Inject]
    private CurrentUser CurrentUser { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    private string DefaultZoneName => Maintenance.DefaultZone.Id;

    /// <summary>The zone the times are typed in, as the fields' notes name it.</summary>
    private string ZoneName => Zone.Id;

    private TimeZoneInfo Zone => CompiledRules.ResolveZone(timeZone, Maintenance.DefaultZone);

    private string PatternHelp
    {
        get
        {
            if (MaintenanceValidation.ServerPatternProblem(form.ServerPattern) is not null)
            {
                return "Case-insensitive; * matches any run of characters.";
            }

            var matching = mailboxes.Where(m => form.Applies(m.Id, m.ServerName)).Select(m => m.DisplayName).ToList();
            return matching.Count switch
            {
                0 => "Matches no mailbox now.",
                1 => $"Matches 1 mailbox now: {matching[0]}.",
                <= 5 => $"Matches {matching.Count} mailboxes now: {string.Join(", ", matching)}.",
                _ => $"Matches {matching.Count} mailboxes now: {string.Join(", ", matching.Take(5))} and {matching.Count - 5} more.",
            };
        }
    }

    protected override async Task OnInitializedAsync()
    {
        if (WindowId is not { } id)
        {
            // Set before the first await: the form renders with these while the mailboxes load.
            timeZone = TimeZoneInfo.TryFindSystemTimeZoneById(DefaultZoneName, out _) ? DefaultZoneName : null;
            var start = NextHour(TimeZoneInfo.ConvertTime(Time.GetUtcNow(), Zone).DateTime);
            starts = start.ToString(DateTimeFormat, CultureInfo.InvariantCulture);
            ends = start.AddHours(2).ToString(DateTimeFormat, CultureInfo.InvariantCulture);
            mailboxes = await Maintenance.MailboxChoicesAsync(Closing);
            return;
        }

        loading = true;
        var loadingMailboxes = Maintenance.MailboxChoicesAsync(Closing);
        var existing = await Maintenance.GetAsync(id, Closing);
        mailboxes = await loadingMailboxes;
        loading = false;
        if (existing is null)
        {
            gone = true;
            await errors.ShowAsync([KeyValuePair.Create("", MaintenanceAdministration.DeletedBySomeoneElse)]);
            return;
        }

        form = existing;
        version = existing.Version;
        timeZone = existing.TimeZoneId;
        starts = existing.StartsAt is { } s ? TimeZoneInfo.ConvertTime(s, Zone).ToString(DateTimeFormat, CultureInfo.InvariantCulture) : null;
        ends = existing.EndsAt is { } e ? TimeZoneInfo.ConvertTime(e, Zone).ToString(DateTimeFormat, CultureInfo.InvariantCulture) : null;
        from = existing.TimeFrom?.ToString(TimeFormat, CultureInfo.InvariantCulture);
        to = existing.TimeTo?.ToString(TimeFormat, CultureInfo.InvariantCulture);
        days = RuleEditorDialog.WeekFromMonday.Where(d => existing.Days != DaysOfWeek.None && RuleConditions.DayHolds(existing.Days, d)).ToList();
        chosen = existing.MailboxIds.ToList();
    }

    private static DateTime NextHour(DateTime local) => local.Date.AddHours(local.Hour + 1);

    private static Task<IEnumerable<string>> SearchZones(string? text, CancellationToken cancellationToken) =>
        Task.FromResult<IEnumerable<string>>(string.IsNullOrWhiteSpace(text)
            ? ZoneIds
            : ZoneIds.Where(z => z.Contains(text.Trim(), StringComparison.OrdinalIgnoreCase)));

    private static string ScopeName(MaintenanceScope scope) => scope switch
    {
        MaintenanceScope.AllMailboxes => "All mailboxes",
        MaintenanceScope.ServerPattern => "Servers matching",
        MaintenanceScope.ChosenMailboxes => "Chosen mailboxes",
        _ => scope.ToString(),
    };


    /// <summary>Applies the typed text to the window; returns the problems the form itself can see.</summary>
    private Dictionary<string, string> ReadForm()
    {
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        form.TimeZoneId = timeZone;
        form.StartsAt = ReadInstant(starts, MaintenanceValidation.Starts, problems);
        form.EndsAt = ReadInstant(ends, MaintenanceValidation.Ends, problems);
        form.TimeFrom = ReadTime(from, MaintenanceValidation.From, problems);
        form.TimeTo = ReadTime(to, MaintenanceValidation.To, problems);
        form.Days = days.Aggregate(DaysOfWeek.None, (set, day) => set | (DaysOfWeek)(1 << (int)day));
        form.MailboxIds = chosen.ToList();
        if (form.Recurrence == MaintenanceRecurrence.Once)
        {
            problems.Remove(MaintenanceValidation.From);
            problems.Remove(MaintenanceValidation.To);
        }
        else
        {
            problems.Remove(MaintenanceValidation.Starts);
            problems.Remove(MaintenanceValidation.Ends);
        }

        foreach (var (field, message) in MaintenanceValidation.Validate(form, Time.GetUtcNow()))
        {
            problems.TryAdd(field, message);
        }

        return problems;
    }

    private DateTimeOffset? ReadInstant(string? text, string field, Dictionary<string, string> problems)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (!DateTime.TryParseExact(text.Trim(), [DateTimeFormat, "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            problems[field] = "Enter a date and a time, like 2026-12-10 22:00.";
            return null;
        }

        if (WallClock.IsSkipped(local, Zone))
        {
            problems[field] = $"The clocks in {ZoneName} skip {local.ToString("HH:mm", CultureInfo.InvariantCulture)} that day (daylight saving time begins); choose a time after the change.";
            return null;
        }

        return WallClock.FirstReaching(local, Zone);
    }

    private static TimeOnly? ReadTime(string? text, string field, Dictionary<string, string> problems)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (!TimeOnly.TryParseExact(text.Trim(), [TimeFormat, "H:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            problems[field] = "Enter a time in 24-hour form, like 22:00.";
            return null;
        }

        return time;
    }

    private async Task SaveAsync()
    {
        var actor = await CurrentUser.IdAsync();
        var result = WindowId is { } id
            ? await Maintenance.UpdateAsync(actor, id, form, version, Closing)
            : await Maintenance.CreateAsync(actor, form, Closing);
        if (result.Succeeded)
        {
            Dialog.Close(DialogResult.Ok(result.Id));
            return;
        }

        await errors.ShowAsync(result.Errors);
    }
}
