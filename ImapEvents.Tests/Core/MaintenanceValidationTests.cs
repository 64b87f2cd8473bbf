using ImapEvents.Core.Maintenance;
using ImapEvents.Core.Rules;

namespace ImapEvents.Tests.Core;

public sealed class MaintenanceValidationTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static MaintenanceWindow Once(Action<MaintenanceWindow>? configure = null)
    {
        var window = new MaintenanceWindow
        {
            Name = "Mail server upgrade",
            Recurrence = MaintenanceRecurrence.Once,
            StartsAt = Now.AddHours(1),
            EndsAt = Now.AddHours(3),
            Scope = MaintenanceScope.AllMailboxes,
        };
        configure?.Invoke(window);
        return window;
    }

    private static MaintenanceWindow Weekly(Action<MaintenanceWindow>? configure = null)
    {
        var window = new MaintenanceWindow
        {
            Name = "Nightly backup",
            Recurrence = MaintenanceRecurrence.Weekly,
            Days = DaysOfWeek.Saturday,
            TimeFrom = new TimeOnly(22, 0),
            TimeTo = new TimeOnly(2, 0),
            TimeZoneId = "Europe/Berlin",
            Scope = MaintenanceScope.AllMailboxes,
        };
        configure?.Invoke(window);
        return window;
    }

    private static IReadOnlyDictionary<string, string> Validate(MaintenanceWindow window) => MaintenanceValidation.Validate(window, Now);

    [Fact]
    public void CompleteWindows_AreValid()
    {
        Assert.Empty(Validate(Once()));
        Assert.Empty(Validate(Weekly()));
        Assert.Empty(Validate(Weekly(w => w.TimeZoneId = null)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void AName_IsRequired(string name) =>
        Assert.Equal("Give the window a name, like \"Mail server upgrade\".", Validate(Once(w => w.Name = name))[MaintenanceValidation.Name]);

    [Fact]
    public void AOneOffWindow_NeedsAStartAndAnEnd()
    {
        var errors = Validate(Once(w => (w.StartsAt, w.EndsAt) = (null, null)));

        Assert.Equal("Choose when the window starts.", errors[MaintenanceValidation.Starts]);
        Assert.Equal("Choose when the window ends.", errors[MaintenanceValidation.Ends]);
    }

    [Fact]
    public void AOneOffWindow_EndsAfterItStarts()
    {
        var errors = Validate(Once(w => w.EndsAt = w.StartsAt));

        Assert.Equal("The end must be after the start.", errors[MaintenanceValidation.Ends]);
        Assert.False(errors.ContainsKey(MaintenanceValidation.Starts));
    }

    [Fact]
    public void AOneOffWindow_LastsAtMost31Days()
    {
        Assert.Empty(Validate(Once(w => w.EndsAt = w.StartsAt!.Value.AddDays(31))));
        Assert.Equal(
            "A one-off window lasts at most 31 days; for regular work choose Repeats: Weekly.",
            Validate(Once(w => w.EndsAt = w.StartsAt!.Value.AddDays(31).AddMinutes(1)))[MaintenanceValidation.Ends]);
    }

    [Fact]
    public void AOneOffWindowThatEndedAlready_IsRefused_ButMayHaveStarted()
    {
        Assert.Empty(Validate(Once(w => w.StartsAt = Now.AddHours(-1))));
        Assert.Equal(
            "This time has passed: a window that ended already would hold nothing back.",
            Validate(Once(w => (w.StartsAt, w.EndsAt) = (Now.AddHours(-3), Now.AddHours(-1))))[MaintenanceValidation.Ends]);
    }

    [Fact]
    public void AWeeklyWindow_NeedsFromAndTo()
    {
        var errors = Validate(Weekly(w => (w.TimeFrom, w.TimeTo) = (null, null)));

        Assert.Equal("Enter the time the window starts, like 22:00.", errors[MaintenanceValidation.From]);
        Assert.Equal("Enter the time the window ends, like 02:00 (earlier than From wraps past midnight).", errors[MaintenanceValidation.To]);
    }

    [Fact]
    public void AWeeklyWindow_NeedsDifferentTimes()
    {
        var errors = Validate(Weekly(w => w.TimeTo = w.TimeFrom));

        Assert.StartsWith("From and To are the same", errors[MaintenanceValidation.To], StringComparison.Ordinal);
    }

    [Fact]
    public void ATimeZone_MustBeOneTheServerKnows() =>
        Assert.Equal(
            "\"Mars/Olympus\" is not a time zone this server knows; use an IANA name like Europe/Berlin.",
            Validate(Weekly(w => w.TimeZoneId = "Mars/Olympus"))[MaintenanceValidation.TimeZone]);

    [Theory]
    [InlineData("imap.example.com")]
    [InlineData("*.example.com")]
    [InlineData("imap*.example.com")]
    [InlineData("10.0.0.*")]
    [InlineData("*")]
    [InlineData("2001:db8::*")]
    public void AServerPattern_IsAHostNameWithWildcards(string pattern) =>
        Assert.Empty(Validate(Once(w => (w.Scope, w.ServerPattern) = (MaintenanceScope.ServerPattern, pattern))));

    [Theory]
    [InlineData("imap://imap.example.com")]
    [InlineData("imap.example.com:993")]
    [InlineData("imap example.com")]
    [InlineData("imap_.example.com")]
    public void AServerPattern_WithASchemePortOrSpaces_IsRefused(string pattern) =>
        Assert.StartsWith(
            "Enter a server name like imap.example.com",
            Validate(Once(w => (w.Scope, w.ServerPattern) = (MaintenanceScope.ServerPattern, pattern)))[MaintenanceValidation.ServerPattern],
            StringComparison.Ordinal);

    [Fact]
    public void AServerPattern_IsRequiredForThatScope_Only()
    {
        Assert.Equal(
            "Enter the servers' name, like imap.example.com, or a pattern like *.example.com.",
            Validate(Once(w => w.Scope = MaintenanceScope.ServerPattern))[MaintenanceValidation.ServerPattern]);
        Assert.Empty(Validate(Once(w => w.ServerPattern = null)));
    }

    [Fact]
    public void ChosenMailboxes_NeedsAtLeastOne()
    {
        Assert.Equal("Choose at least one mailbox.", Validate(Once(w => w.Scope = MaintenanceScope.ChosenMailboxes))[MaintenanceValidation.Mailboxes]);
        Assert.Empty(Validate(Once(w => (w.Scope, w.MailboxIds) = (MaintenanceScope.ChosenMailboxes, [Guid.NewGuid()]))));
    }
}
