using Bunit;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Core.Maintenance;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Maintenance;
using ImapEvents.Tests.TestSupport;
using ImapEvents.Web.Features.Maintenance;
using MudBlazor;

namespace ImapEvents.Tests.Web;

public sealed class MaintenanceDialogComponentTests : ServiceComponentTestBase
{
    private MaintenanceAdministration Maintenance => Service<MaintenanceAdministration>();

    private async Task<Guid> CreateAsync(MaintenanceWindow draft)
    {
        var saved = await Maintenance.CreateAsync(AdministratorId, draft, default);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Select(e => $"{e.Key}: {e.Value}")));
        return saved.Id!.Value;
    }

    private static MaintenanceWindow Weekly(string name) => new()
    {
        Name = name,
        Recurrence = MaintenanceRecurrence.Weekly,
        Days = DaysOfWeek.Saturday,
        TimeFrom = new TimeOnly(22, 0),
        TimeTo = new TimeOnly(2, 0),
        TimeZoneId = "Europe/Berlin",
        Scope = MaintenanceScope.ServerPattern,
        ServerPattern = "*.example.com",
    };

    private async Task<IRenderedComponent<MaintenanceDialog>> OpenAsync(Guid? id = null)
    {
        var dialog = await OpenDialogAsync<MaintenanceDialog>(
            id is null ? "Add maintenance window" : "Edit", new DialogParameters<MaintenanceDialog> { { d => d.WindowId, id } });
        await EventuallyAsync(() => Assert.NotNull(Input(dialog, "Name")));
        return dialog;
    }

    [Fact]
    public async Task AOneOffWindow_HasLabelledFields_AndSaysWhichZoneItsTimesAreIn()
    {
        var dialog = await OpenAsync();

        foreach (var label in new[] { "Name", "Repeats", "Time zone", "Starts", "Ends", "Applies to" })
        {
            Assert.NotNull(Input(dialog, label));
        }

        var zone = Maintenance.DefaultZone.Id;
        Assert.Equal(zone, Input(dialog, "Time zone").GetAttribute("value"));
        Assert.Contains($"Date and time in {zone}.", Input(dialog, "Starts").Closest(".mud-input-control")!.TextContent, StringComparison.Ordinal);
        Assert.Equal("datetime-local", Input(dialog, "Starts").GetAttribute("type"));
        Assert.Contains("no rule action runs", dialog.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWeeklyWindow_HasLabelledDaysAndTimes_AndItsServerPattern()
    {
        var id = await CreateAsync(Weekly("Saturday nights"));

        var dialog = await OpenAsync(id);

        await EventuallyAsync(() => Assert.Equal("22:00", Input(dialog, "From").GetAttribute("value")));
        foreach (var label in new[] { "Name", "Repeats", "Time zone", "Days", "From", "To", "Applies to", "Server name pattern" })
        {
            Assert.NotNull(Input(dialog, label));
        }

        Assert.Equal("02:00", Input(dialog, "To").GetAttribute("value"));
        Assert.Equal("Europe/Berlin", Input(dialog, "Time zone").GetAttribute("value"));
        Assert.Equal("*.example.com", Input(dialog, "Server name pattern").GetAttribute("value"));
    }

    [Fact]
    public async Task ChosenMailboxes_AreShownByTheirDisplayNames()
    {
        var mailbox = await Service<MailboxAdministration>().CreateAsync(new MailboxSettings
        {
            DisplayName = "Support inbox",
            ServerName = "imap.example.com",
            LoginUsername = "support@example.com",
            Password = "never-used",
            Enabled = false,
        }, default);
        var window = Weekly("Chosen");
        window.Scope = MaintenanceScope.ChosenMailboxes;
        window.MailboxIds = [mailbox.Id!.Value];
        var id = await CreateAsync(window);

        var dialog = await OpenAsync(id);

        await EventuallyAsync(() => Assert.Equal("Support inbox", Input(dialog, "Mailboxes").GetAttribute("value")));
    }

    [Fact]
    public async Task BadInput_IsExplainedNextToTheField_AndKept()
    {
        var dialog = await OpenAsync();
        await ChangeFieldAsync(dialog, "Starts", "2030-06-01T22:00");
        await ChangeFieldAsync(dialog, "Ends", "2030-06-01T21:00");

        await ClickButtonAsync(dialog, "Save");

        await EventuallyAsync(() =>
        {
            Assert.Equal("Give the window a name, like \"Mail server upgrade\".", ErrorNextTo(dialog, "Name"));
            Assert.Equal("The end must be after the start.", ErrorNextTo(dialog, "Ends"));
            Assert.Null(ErrorNextTo(dialog, "Starts"));
            Assert.Equal("2030-06-01T22:00", Input(dialog, "Starts").GetAttribute("value"));
            Assert.Equal("2030-06-01T21:00", Input(dialog, "Ends").GetAttribute("value"));
        });
        Assert.Empty(await Maintenance.ListAsync(default));

        // Corrected, the message goes.
        await ChangeFieldAsync(dialog, "Ends", "2030-06-02T01:00");
        await EventuallyAsync(() => Assert.Null(ErrorNextTo(dialog, "Ends")));
    }

    [Fact]
    public async Task AWeeklyWindowsTimesAndPattern_AreCheckedNextToTheirFields_AndKept()
    {
        var id = await CreateAsync(Weekly("Saturday nights"));
        var dialog = await OpenAsync(id);
        await EventuallyAsync(() => Assert.Equal("22:00", Input(dialog, "From").GetAttribute("value")));
        await ChangeFieldAsync(dialog, "To", "22:00");
        await TypeIntoFieldAsync(dialog, "Server name pattern", "imap://mail.example.com");

        await ClickButtonAsync(dialog, "Save");

        await EventuallyAsync(() =>
        {
            Assert.StartsWith("From and To are the same", ErrorNextTo(dialog, "To"), StringComparison.Ordinal);
            Assert.StartsWith("Enter a server name like imap.example.com", ErrorNextTo(dialog, "Server name pattern"), StringComparison.Ordinal);
            Assert.Equal("22:00", Input(dialog, "To").GetAttribute("value"));
            Assert.Equal("imap://mail.example.com", Input(dialog, "Server name pattern").GetAttribute("value"));
        });
        Assert.Equal(new TimeOnly(2, 0), (await Maintenance.GetAsync(id, default))!.TimeTo);
    }

    [Fact]
    public async Task ATimeTheClocksSkip_IsRefusedNextToItsField()
    {
        var window = Weekly("Switching to once");
        window.Recurrence = MaintenanceRecurrence.Once;
        window.StartsAt = new DateTimeOffset(2030, 3, 30, 20, 0, 0, TimeSpan.Zero);
        window.EndsAt = new DateTimeOffset(2030, 3, 31, 3, 0, 0, TimeSpan.Zero);
        var id = await CreateAsync(window);
        var dialog = await OpenAsync(id);
        // Shown on Berlin's wall clock, the zone it was entered in.
        await EventuallyAsync(() => Assert.Equal("2030-03-30T21:00", Input(dialog, "Starts").GetAttribute("value")));
        Assert.Equal("2030-03-31T05:00", Input(dialog, "Ends").GetAttribute("value"));

        // On 31 March 2030 Berlin's clocks go from 02:00 to 03:00.
        await ChangeFieldAsync(dialog, "Ends", "2030-03-31T02:30");
        await ClickButtonAsync(dialog, "Save");

        await EventuallyAsync(() => Assert.Equal(
            "The clocks in Europe/Berlin skip 02:30 that day (daylight saving time begins); choose a time after the change.",
            ErrorNextTo(dialog, "Ends")));
    }

    [Fact]
    public async Task SavingANewWindow_ReadsItsTimesInTheChosenZone()
    {
        var dialog = await OpenAsync();
        await ChangeFieldAsync(dialog, "Name", "Mail server upgrade");
        await ChangeFieldAsync(dialog, "Starts", "2030-06-01T22:00");
        await ChangeFieldAsync(dialog, "Ends", "2030-06-02T01:30");

        await ClickButtonAsync(dialog, "Save");

        await Eventually.TrueAsync(async () => (await Maintenance.ListAsync(default)).Count == 1, "Save stored no window");
        var saved = (await Maintenance.ListAsync(default)).Single().Window;
        var zone = Maintenance.DefaultZone;
        Assert.Equal(WallClockOf(2030, 6, 1, 22, 0, zone), saved.StartsAt);
        Assert.Equal(WallClockOf(2030, 6, 2, 1, 30, zone), saved.EndsAt);
        Assert.Equal(MaintenanceScope.AllMailboxes, saved.Scope);
        Assert.Equal(zone.Id, saved.TimeZoneId);
    }

    [Fact]
    public async Task AWindowChangedBySomeoneElse_IsNotOverwritten_AndWhatWasTypedStays()
    {
        var id = await CreateAsync(Weekly("Saturday nights"));
        var dialog = await OpenAsync(id);
        await EventuallyAsync(() => Assert.Equal("Saturday nights", Input(dialog, "Name").GetAttribute("value")));
        var meanwhile = (await Maintenance.GetAsync(id, default))!;
        meanwhile.Name = "Renamed by a colleague";
        Assert.True((await Maintenance.UpdateAsync(AdministratorId, id, meanwhile, meanwhile.Version, default)).Succeeded);

        await ChangeFieldAsync(dialog, "Name", "My new name");
        await ClickButtonAsync(dialog, "Save");

        await EventuallyAsync(() => Assert.Contains(
            dialog.FindAll("[role=alert]"), a => a.TextContent.Contains(MaintenanceAdministration.ConcurrencyConflict, StringComparison.Ordinal)));
        Assert.Equal("My new name", Input(dialog, "Name").GetAttribute("value"));
        Assert.Equal("Renamed by a colleague", (await Maintenance.GetAsync(id, default))!.Name);
    }

    private static DateTimeOffset WallClockOf(int year, int month, int day, int hour, int minute, TimeZoneInfo zone) =>
        WallClock.FirstReaching(new DateTime(year, month, day, hour, minute, 0), zone);
}
