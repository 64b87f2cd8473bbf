using ImapEvents.Core.Mailboxes;
using ImapEvents.Core.Maintenance;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Maintenance;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>
/// The Maintenance page's service on a real PostgreSQL. Tests share the database, so each uses server names
/// and windows of its own and looks only at its own rows.
/// </summary>
public sealed class MaintenanceAdministrationTests(ActionFixture fixture) : IClassFixture<ActionFixture>
{
    private MaintenanceAdministration Maintenance => fixture.Service<MaintenanceAdministration>();

    private async Task<string> AdminIdAsync() => (await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail)).Id;

    private static string Tag() => Guid.NewGuid().ToString("N")[..8];

    private static MaintenanceWindow OnceFor(string serverPattern, DateTimeOffset starts, DateTimeOffset ends) => new()
    {
        Name = $"Upgrade {serverPattern}",
        Recurrence = MaintenanceRecurrence.Once,
        StartsAt = starts,
        EndsAt = ends,
        Scope = MaintenanceScope.ServerPattern,
        ServerPattern = serverPattern,
    };

    private async Task<Guid> CreateAsync(MaintenanceWindow draft)
    {
        var saved = await Maintenance.CreateAsync(await AdminIdAsync(), draft, default);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Select(e => $"{e.Key}: {e.Value}")));
        return saved.Id!.Value;
    }

    private async Task<Guid> CreateMailboxAsync(string name, string server)
    {
        var saved = await fixture.Service<MailboxAdministration>().CreateAsync(new MailboxSettings
        {
            DisplayName = name,
            ServerName = server,
            LoginUsername = "support@example.com",
            Password = "never-used",
            Enabled = false,
        }, default);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Values));
        return saved.Id!.Value;
    }

    /// <summary>What the check recorder asks, in a transaction of its own, as it marks an event.</summary>
    private async Task<bool> CoversAsync(Guid mailboxId, string server, DateTimeOffset at)
    {
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        return await fixture.Service<MaintenanceCalendar>().CoversAsync(db, mailboxId, server, at, default);
    }

    [Fact]
    public async Task Create_StoresTheWindowTidied_WithWhoAddedIt()
    {
        var tag = Tag();
        var id = await CreateAsync(new MaintenanceWindow
        {
            Name = $"  Nightly backup {tag} ",
            Recurrence = MaintenanceRecurrence.Weekly,
            // Left over from choosing Once first: a weekly window keeps none of it.
            StartsAt = DateTimeOffset.UtcNow,
            EndsAt = DateTimeOffset.UtcNow.AddHours(1),
            Days = DaysOfWeek.Saturday | DaysOfWeek.Sunday,
            TimeFrom = new TimeOnly(22, 0),
            TimeTo = new TimeOnly(2, 0),
            TimeZoneId = " Europe/Berlin ",
            Scope = MaintenanceScope.ServerPattern,
            ServerPattern = $" *.{tag}.example.com ",
            MailboxIds = [Guid.NewGuid()],
        });

        var stored = (await Maintenance.GetAsync(id, default))!;
        Assert.Equal($"Nightly backup {tag}", stored.Name);
        Assert.Null(stored.StartsAt);
        Assert.Null(stored.EndsAt);
        Assert.Equal(DaysOfWeek.Saturday | DaysOfWeek.Sunday, stored.Days);
        Assert.Equal("Europe/Berlin", stored.TimeZoneId);
        Assert.Equal($"*.{tag}.example.com", stored.ServerPattern);
        Assert.Empty(stored.MailboxIds);
        Assert.Equal(ImapEventsApp.AdminEmail, stored.CreatedBy);
    }

    [Fact]
    public async Task Create_WithProblems_SaysWhatIsWrongByField_AndStoresNothing()
    {
        var name = $"Broken {Tag()}";
        var saved = await Maintenance.CreateAsync(await AdminIdAsync(), new MaintenanceWindow
        {
            Name = name,
            Recurrence = MaintenanceRecurrence.Once,
            StartsAt = DateTimeOffset.UtcNow.AddHours(2),
            EndsAt = DateTimeOffset.UtcNow.AddHours(1),
            Scope = MaintenanceScope.ServerPattern,
            ServerPattern = "imap://mail.example.com",
        }, default);

        Assert.False(saved.Succeeded);
        Assert.Equal("The end must be after the start.", saved.Errors[MaintenanceValidation.Ends]);
        Assert.StartsWith("Enter a server name like imap.example.com", saved.Errors[MaintenanceValidation.ServerPattern], StringComparison.Ordinal);
        Assert.DoesNotContain(await Maintenance.ListAsync(default), r => r.Window.Name == name);
    }

    [Fact]
    public async Task Update_WithTheVersionOpened_Saves_AndOneMadeStaleBySomeoneElse_IsRefused()
    {
        var tag = Tag();
        var id = await CreateAsync(OnceFor($"*.{tag}.example.com", DateTimeOffset.UtcNow.AddDays(1), DateTimeOffset.UtcNow.AddDays(1).AddHours(2)));
        var opened = (await Maintenance.GetAsync(id, default))!;
        var admin = await AdminIdAsync();

        // Two editors opened the same version; the first saves.
        var first = (await Maintenance.GetAsync(id, default))!;
        first.Name = $"First editor {tag}";
        Assert.True((await Maintenance.UpdateAsync(admin, id, first, opened.Version, default)).Succeeded);
        opened.Name = $"Second editor {tag}";
        var second = await Maintenance.UpdateAsync(admin, id, opened, opened.Version, default);

        Assert.False(second.Succeeded);
        Assert.Equal(MaintenanceAdministration.ConcurrencyConflict, second.Errors[""]);
        var stored = (await Maintenance.GetAsync(id, default))!;
        Assert.Equal($"First editor {tag}", stored.Name);
        Assert.Equal(ImapEventsApp.AdminEmail, stored.CreatedBy);
        Assert.Contains(fixture.App.Logs.Lines, line => line.Contains($"First editor {tag}", StringComparison.Ordinal) && line.Contains(ImapEventsApp.AdminEmail, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Update_OfAWindowDeletedMeanwhile_SaysSo()
    {
        var tag = Tag();
        var id = await CreateAsync(OnceFor($"*.{tag}.example.com", DateTimeOffset.UtcNow.AddDays(1), DateTimeOffset.UtcNow.AddDays(2)));
        var opened = (await Maintenance.GetAsync(id, default))!;
        Assert.True(await Maintenance.DeleteAsync(await AdminIdAsync(), id, default));

        var saved = await Maintenance.UpdateAsync(await AdminIdAsync(), id, opened, opened.Version, default);

        Assert.Equal(MaintenanceAdministration.DeletedBySomeoneElse, saved.Errors[""]);
        Assert.False(await Maintenance.DeleteAsync(await AdminIdAsync(), id, default));
    }

    [Fact]
    public async Task CoversAsync_AnswersFromTheStoredWindows_ForTheirServersAndTimes()
    {
        var tag = Tag();
        var server = $"imap.{tag}.example.com";
        var mailbox = await CreateMailboxAsync($"Covered {tag}", server);
        var starts = new DateTimeOffset(2030, 1, 7, 10, 0, 0, TimeSpan.Zero);
        var id = await CreateAsync(OnceFor($"*.{tag}.example.com", starts, starts.AddHours(2)));

        Assert.True(await CoversAsync(mailbox, server, starts.AddHours(1)));
        Assert.False(await CoversAsync(mailbox, server, starts.AddHours(2)));
        Assert.False(await CoversAsync(mailbox, server, starts.AddMinutes(-1)));
        Assert.False(await CoversAsync(Guid.NewGuid(), $"imap.{tag}.example.org", starts.AddHours(1)));

        // A change counts at once: the calendar reads the windows each time it is asked.
        var window = (await Maintenance.GetAsync(id, default))!;
        window.Scope = MaintenanceScope.ChosenMailboxes;
        window.MailboxIds = [mailbox];
        Assert.True((await Maintenance.UpdateAsync(await AdminIdAsync(), id, window, window.Version, default)).Succeeded);
        Assert.True(await CoversAsync(mailbox, server, starts.AddHours(1)));
        Assert.False(await CoversAsync(Guid.NewGuid(), server, starts.AddHours(1)));

        Assert.True(await Maintenance.DeleteAsync(await AdminIdAsync(), id, default));
        Assert.False(await CoversAsync(mailbox, server, starts.AddHours(1)));
    }

    [Fact]
    public async Task CoversAsync_ReadsAWeeklyWindowInItsZone()
    {
        var tag = Tag();
        var server = $"imap.{tag}.example.com";
        // Fridays 22:00 to 02:00 in New York; 8 March 2030 is a Friday (EST, UTC-5).
        await CreateAsync(new MaintenanceWindow
        {
            Name = $"Friday nights {tag}",
            Recurrence = MaintenanceRecurrence.Weekly,
            Days = DaysOfWeek.Friday,
            TimeFrom = new TimeOnly(22, 0),
            TimeTo = new TimeOnly(2, 0),
            TimeZoneId = "America/New_York",
            Scope = MaintenanceScope.ServerPattern,
            ServerPattern = server,
        });

        Assert.True(await CoversAsync(Guid.NewGuid(), server, new DateTimeOffset(2030, 3, 9, 3, 30, 0, TimeSpan.Zero)));
        Assert.True(await CoversAsync(Guid.NewGuid(), server, new DateTimeOffset(2030, 3, 9, 6, 59, 0, TimeSpan.Zero)));
        Assert.False(await CoversAsync(Guid.NewGuid(), server, new DateTimeOffset(2030, 3, 9, 7, 0, 0, TimeSpan.Zero)));
        Assert.False(await CoversAsync(Guid.NewGuid(), server, new DateTimeOffset(2030, 3, 8, 22, 30, 0, TimeSpan.Zero)));
    }

    [Fact]
    public async Task EndNow_EndsAnActiveOneOffWindow_AndItsMailboxesLeaveMaintenanceAtOnce()
    {
        var tag = Tag();
        var server = $"imap.{tag}.example.com";
        var mailbox = await CreateMailboxAsync($"Ending {tag}", server);
        var now = DateTimeOffset.UtcNow;
        var id = await CreateAsync(OnceFor(server, now.AddHours(-1), now.AddHours(1)));
        Assert.Contains(await Maintenance.InMaintenanceNowAsync(default), m => m.MailboxId == mailbox);
        Assert.True(await CoversAsync(mailbox, server, DateTimeOffset.UtcNow));

        var ended = await Maintenance.EndNowAsync(await AdminIdAsync(), id, default);

        Assert.True(ended.Succeeded, string.Join("; ", ended.Errors.Values));
        Assert.False(await CoversAsync(mailbox, server, DateTimeOffset.UtcNow));
        Assert.DoesNotContain(await Maintenance.InMaintenanceNowAsync(default), m => m.MailboxId == mailbox);
        var row = (await Maintenance.ListAsync(default)).Single(r => r.Window.Id == id);
        Assert.Equal(MaintenanceState.Ended, row.State);
        Assert.InRange(row.Window.EndsAt!.Value, now, DateTimeOffset.UtcNow);

        // Ended already: nothing more to end.
        Assert.Equal($"Upgrade {server} is not on now, so there is nothing to end.", (await Maintenance.EndNowAsync(await AdminIdAsync(), id, default)).Errors[""]);
    }

    [Fact]
    public async Task EndNow_IsOnlyForOneOffWindows()
    {
        var tag = Tag();
        var id = await CreateAsync(new MaintenanceWindow
        {
            Name = $"Always {tag}",
            Recurrence = MaintenanceRecurrence.Weekly,
            TimeFrom = new TimeOnly(0, 0),
            TimeTo = new TimeOnly(23, 59),
            Scope = MaintenanceScope.ServerPattern,
            ServerPattern = $"*.{tag}.example.com",
        });

        var refused = await Maintenance.EndNowAsync(await AdminIdAsync(), id, default);

        Assert.Equal("Only a one-off window can be ended early; change or delete a weekly one.", refused.Errors[""]);
    }

    [Fact]
    public async Task List_PutsActiveWindowsFirst_ThenUpcoming_ThenEndedOneOffs_WithTheirMailboxCounts()
    {
        var tag = Tag();
        var server = $"imap.{tag}.example.com";
        await CreateMailboxAsync($"Listed A {tag}", server);
        await CreateMailboxAsync($"Listed B {tag}", server);
        var now = DateTimeOffset.UtcNow;
        var later = await CreateAsync(OnceFor($"*.{tag}.example.com", now.AddDays(2), now.AddDays(2).AddHours(1)));
        var sooner = await CreateAsync(OnceFor(server, now.AddDays(1), now.AddDays(1).AddHours(1)));
        var active = await CreateAsync(OnceFor($"none.{tag}.example.com", now.AddHours(-1), now.AddHours(1)));
        var ended = await CreateAsync(OnceFor($"ended.{tag}.example.com", now.AddHours(-1), now.AddHours(1)));
        Assert.True((await Maintenance.EndNowAsync(await AdminIdAsync(), ended, default)).Succeeded);

        var rows = (await Maintenance.ListAsync(default)).ToList();
        int At(Guid id) => rows.FindIndex(r => r.Window.Id == id);

        Assert.True(At(active) < At(sooner) && At(sooner) < At(later) && At(later) < At(ended), string.Join(", ", rows.Select(r => $"{r.Window.Name} {r.State}")));
        Assert.Equal(MaintenanceState.Active, rows[At(active)].State);
        Assert.Equal(MaintenanceState.Upcoming, rows[At(sooner)].State);
        // PostgreSQL keeps microseconds; .NET has ticks.
        Assert.Equal(now.AddDays(1), rows[At(sooner)].Period!.Value.Start, TimeSpan.FromMilliseconds(1));
        Assert.Equal(now.AddDays(1).AddHours(1), rows[At(sooner)].Period!.Value.End, TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, rows[At(later)].MailboxCount);
        Assert.Equal(0, rows[At(active)].MailboxCount);
    }

    [Fact]
    public async Task InMaintenanceNow_ListsTheMailboxesAnActiveWindowCovers_UntilWhen()
    {
        var tag = Tag();
        var covered = await CreateMailboxAsync($"In maintenance {tag}", $"imap.{tag}.example.com");
        var chosen = await CreateMailboxAsync($"Chosen {tag}", $"other.{tag}.example.net");
        var elsewhere = await CreateMailboxAsync($"Elsewhere {tag}", $"imap.{tag}.example.org");
        var now = DateTimeOffset.UtcNow;
        await CreateAsync(OnceFor($"*.{tag}.example.com", now.AddMinutes(-5), now.AddHours(2)));
        await CreateAsync(new MaintenanceWindow
        {
            Name = $"Chosen window {tag}",
            Recurrence = MaintenanceRecurrence.Once,
            StartsAt = now.AddMinutes(-5),
            EndsAt = now.AddHours(3),
            Scope = MaintenanceScope.ChosenMailboxes,
            MailboxIds = [chosen],
        });
        await CreateAsync(OnceFor($"*.{tag}.example.org", now.AddHours(1), now.AddHours(2)));

        var inMaintenance = await Maintenance.InMaintenanceNowAsync(default);

        var first = Assert.Single(inMaintenance, m => m.MailboxId == covered);
        Assert.Equal($"Upgrade *.{tag}.example.com", first.WindowName);
        Assert.Equal(now.AddHours(2), first.Until, TimeSpan.FromMilliseconds(1));
        Assert.Equal($"Chosen window {tag}", Assert.Single(inMaintenance, m => m.MailboxId == chosen).WindowName);
        Assert.DoesNotContain(inMaintenance, m => m.MailboxId == elsewhere);
    }

    [Fact]
    public async Task ChosenMailboxesDeletedWhileEditing_AreDropped_AndSaidWhenNoneIsLeft()
    {
        var tag = Tag();
        var kept = await CreateMailboxAsync($"Kept {tag}", $"imap.{tag}.example.com");
        var draft = new MaintenanceWindow
        {
            Name = $"Chosen {tag}",
            Recurrence = MaintenanceRecurrence.Once,
            StartsAt = DateTimeOffset.UtcNow.AddDays(1),
            EndsAt = DateTimeOffset.UtcNow.AddDays(1).AddHours(1),
            Scope = MaintenanceScope.ChosenMailboxes,
            MailboxIds = [kept, Guid.NewGuid()],
        };

        var id = await CreateAsync(draft);
        draft.MailboxIds = [Guid.NewGuid()];
        var refused = await Maintenance.CreateAsync(await AdminIdAsync(), draft, default);

        Assert.Equal([kept], (await Maintenance.GetAsync(id, default))!.MailboxIds);
        Assert.Equal("The chosen mailboxes were deleted; choose others.", refused.Errors[MaintenanceValidation.Mailboxes]);
    }

    [Fact]
    public async Task TimesWithAnOffset_AreStoredAsTheSameInstant()
    {
        var tag = Tag();
        var starts = new DateTimeOffset(2030, 6, 1, 22, 0, 0, TimeSpan.FromHours(2));
        var id = await CreateAsync(OnceFor($"*.{tag}.example.com", starts, starts.AddHours(3)));

        var stored = (await Maintenance.GetAsync(id, default))!;

        Assert.Equal(new DateTimeOffset(2030, 6, 1, 20, 0, 0, TimeSpan.Zero), stored.StartsAt);
        Assert.Equal(TimeSpan.Zero, stored.StartsAt!.Value.Offset);
    }
}
