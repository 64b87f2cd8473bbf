using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.Retention;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Infrastructure.Scheduling;
using ImapEvents.Infrastructure.Settings;
using ImapEvents.Tests.TestSupport;
using ImapEvents.Web.Account;

namespace ImapEvents.Tests.Web;

/// <summary>
/// A setting the app cannot run with is refused when the app starts, in one sentence naming the environment variable,
/// instead of a stage timeout of 0 failing every check or an unknown zone quietly turning every rule to the machine's time.
/// </summary>
[Collection(StartedAloneCollection.Name)]
public sealed class SettingsAtStartTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public void TheDefaults_AreAllAccepted()
    {
        ICheckedSettings[] defaults =
        [
            new ImapCheckOptions(), new CheckDispatchOptions(), new IncidentSettings(), new RuleOptions(), new ActionOptions(),
            new JobOptions(), new RetentionOptions(), new SignInLimitOptions(), new BootstrapOptions(), new AppOptions { PublicUrl = "https://imapevents.example.com/" },
        ];
        Assert.All(defaults, settings => Assert.Empty(settings.Problems()));
    }

    [Fact]
    public void EachSetting_OutOfItsRange_IsNamedInTheWordsOfItsVariable()
    {
        Assert.Equal(["Imap__StageTimeout must be between 00:00:01 and 00:10:00."], new ImapCheckOptions { StageTimeout = TimeSpan.Zero }.Problems());
        Assert.Equal(["Imap__MaxMessagesPerCheck must be between 1 and 100000."], new ImapCheckOptions { MaxMessagesPerCheck = 0 }.Problems());
        Assert.Equal(["Imap__CheckBudget must be between 00:00:10 and 1.00:00:00."], new ImapCheckOptions { CheckBudget = TimeSpan.FromDays(2) }.Problems());
        Assert.Equal(["Incidents__StaleAfterIntervals must be between 2 and 100."], new IncidentSettings { StaleAfterIntervals = 1 }.Problems());
        Assert.Equal(["Incidents__CertificateWarningDays must be between 1 and 365."], new IncidentSettings { CertificateWarningDays = -3 }.Problems());
        Assert.Equal(["Actions__HttpTimeout must be between 00:00:01 and 00:10:00."], new ActionOptions { HttpTimeout = TimeSpan.FromMilliseconds(-1) }.Problems());
        Assert.StartsWith("Actions__LogDirectory must name a folder", Assert.Single(new ActionOptions { LogDirectory = " " }.Problems()));
        Assert.Equal(["Jobs__QueuePollInterval must be between 00:00:00.1 and 00:01:00."], new JobOptions { QueuePollInterval = TimeSpan.Zero }.Problems());
        Assert.Equal(["Jobs__CheckWorkers must be between 1 and 100."], new JobOptions { CheckWorkers = 0 }.Problems());
        Assert.Equal(["Retention__BatchSize must be between 1 and 1000000."], new RetentionOptions { BatchSize = 0 }.Problems());
        Assert.Equal(["Identity__SignInWindow must be between 00:00:01 and 1.00:00:00."], new SignInLimitOptions { SignInWindow = TimeSpan.Zero }.Problems());
        Assert.StartsWith("Rules__DefaultTimeZone is \"Mars/Olympus\", which is not a time zone this machine knows", Assert.Single(new RuleOptions { DefaultTimeZone = "Mars/Olympus" }.Problems()));
        Assert.Empty(new RuleOptions { DefaultTimeZone = "Europe/Berlin" }.Problems());
    }

    [Fact]
    public void EveryWrongSettingOfASection_IsNamed()
    {
        Assert.Equal(
            ["Imap__StageTimeout must be between 00:00:01 and 00:10:00.", "Imap__MaxMessagesPerCheck must be between 1 and 100000."],
            new ImapCheckOptions { StageTimeout = TimeSpan.Zero, MaxMessagesPerCheck = 0 }.Problems());
        Assert.Equal(
            ["App__PublicUrl is \"abc\", which is not an address such as https://imapevents.example.com."],
            new AppOptions { PublicUrl = "abc" }.Problems());
        Assert.Equal(["Bootstrap__SetupLinkLifetime must be between 00:05:00 and 30.00:00:00."], new BootstrapOptions { SetupLinkLifetime = TimeSpan.FromDays(-1) }.Problems());
    }

    [Theory]
    [InlineData("Imap__StageTimeout", "00:00:00", "Imap__StageTimeout must be between 00:00:01 and 00:10:00.")]
    [InlineData("Rules__DefaultTimeZone", "Mars/Olympus", "Rules__DefaultTimeZone is \"Mars/Olympus\", which is not a time zone this machine knows")]
    [InlineData("Jobs__QueuePollInterval", "00:00:00", "Jobs__QueuePollInterval must be between 00:00:00.1 and 00:01:00.")]
    public Task ASettingTheAppCannotRunWith_IsRefusedAtStart_InOneSentence(string setting, string value, string sentence) =>
        AppProcess.AssertRefusedAtStartAsync(database.ConnectionString, new Dictionary<string, string> { [setting] = value }, sentence);

    [Fact]
    public Task SeveralWrongSettings_AreAllNamed_SoTheyAreFixedInOneGo() =>
        AppProcess.AssertRefusedAtStartAsync(
            database.ConnectionString,
            new Dictionary<string, string>
            {
                ["Incidents__StaleAfterIntervals"] = "0",
                ["Actions__SmtpTimeout"] = "00:00:00",
                ["Imap__StageTimeout"] = "00:00:00",
                ["Imap__MaxMessagesPerCheck"] = "0",
                // Read while Hangfire is set up, before the others: named with them all the same.
                ["Jobs__CheckWorkers"] = "0",
                ["Checks__Lease"] = "00:00:01",
                ["Retention__Days"] = "abc",
                ["Rules__DefaultTimeZone"] = "Mars/Olympus",
                ["App__PublicUrl"] = "abc",
            },
            "Incidents__StaleAfterIntervals must be between 2 and 100.",
            "Actions__SmtpTimeout must be between 00:00:01 and 00:10:00.",
            "Imap__StageTimeout must be between 00:00:01 and 00:10:00.",
            "Imap__MaxMessagesPerCheck must be between 1 and 100000.",
            "Jobs__CheckWorkers must be between 1 and 100.",
            "Checks__Lease must be between 00:00:03 and 01:00:00.",
            "Retention__Days is \"abc\", which is not a whole number.",
            "Rules__DefaultTimeZone is \"Mars/Olympus\"",
            "App__PublicUrl is \"abc\"");

    [Fact]
    public Task AFirstAdministratorThatCannotBeCreated_IsRefusedInOneSentence_NotAStackTrace() =>
        AppProcess.AssertRefusedAtStartAsync(
            database.ConnectionString,
            new Dictionary<string, string> { ["Bootstrap__AdminEmail"] = "first@example.test", ["Bootstrap__AdminPassword"] = "short" },
            "Bootstrap__AdminEmail and Bootstrap__AdminPassword could not create the first administrator: Passwords must be at least 12 characters.");

    [Fact]
    public Task ASettingNotOfItsKind_HidesNoOtherOfItsSection() =>
        AppProcess.AssertRefusedAtStartAsync(
            database.ConnectionString,
            new Dictionary<string, string> { ["Jobs__CheckWorkers"] = "abc", ["Jobs__InvisibilityTimeout"] = "00:00:04", ["Jobs__ActionWorkers"] = "99999999999999999999999" },
            "Jobs__CheckWorkers is \"abc\", which is not a whole number.",
            "Jobs__InvisibilityTimeout must be between 00:00:05 and 1.00:00:00.",
            "Jobs__ActionWorkers is 99999999999999999999999, which is far too large.");

    [Fact]
    public Task ADatabaseThatDoesNotExist_IsSaidInOneSentence() =>
        AppProcess.AssertRefusedAtStartAsync(
            new Npgsql.NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = "no_such_database" }.ConnectionString,
            new Dictionary<string, string>(),
            "PostgreSQL refused the connection: database \"no_such_database\" does not exist. Check ConnectionStrings__Default.");

    [Fact]
    public Task ANumberFarTooLarge_IsSaidToBeSo() =>
        AppProcess.AssertRefusedAtStartAsync(
            database.ConnectionString, new Dictionary<string, string> { ["Imap__MaxMessagesPerCheck"] = "99999999999" }, "Imap__MaxMessagesPerCheck is 99999999999, which is far too large.");
}

/// <summary>
/// Tests that start the app's own process a dozen times, each start seconds of CPU: run while no other test does, so
/// they do not take the two cores from the browser journeys' clicks and waits.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StartedAloneCollection
{
    public const string Name = "Started alone";
}
