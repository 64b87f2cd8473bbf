using ImapEvents.Infrastructure.Actions;
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
public sealed class SettingsAtStartTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public void TheDefaults_AreAllAccepted()
    {
        ICheckedSettings[] defaults =
        [
            new ImapCheckOptions(), new CheckDispatchOptions(), new IncidentSettings(), new RuleOptions(), new ActionOptions(),
            new JobOptions(), new RetentionOptions(), new SignInLimitOptions(),
        ];
        Assert.All(defaults, settings => Assert.Null(settings.Invalid()));
    }

    [Fact]
    public void EachSetting_OutOfItsRange_IsNamedInTheWordsOfItsVariable()
    {
        Assert.Equal("Imap__StageTimeout must be between 00:00:01 and 00:10:00.", new ImapCheckOptions { StageTimeout = TimeSpan.Zero }.Invalid());
        Assert.Equal("Imap__MaxMessagesPerCheck must be between 1 and 100000.", new ImapCheckOptions { MaxMessagesPerCheck = 0 }.Invalid());
        Assert.Equal("Imap__CheckBudget must be between 00:00:10 and 1.00:00:00.", new ImapCheckOptions { CheckBudget = TimeSpan.FromDays(2) }.Invalid());
        Assert.Equal("Incidents__StaleAfterIntervals must be between 2 and 100.", new IncidentSettings { StaleAfterIntervals = 1 }.Invalid());
        Assert.Equal("Incidents__CertificateWarningDays must be between 1 and 365.", new IncidentSettings { CertificateWarningDays = -3 }.Invalid());
        Assert.Equal("Actions__HttpTimeout must be between 00:00:01 and 00:10:00.", new ActionOptions { HttpTimeout = TimeSpan.FromMilliseconds(-1) }.Invalid());
        Assert.StartsWith("Actions__LogDirectory must name a folder", new ActionOptions { LogDirectory = " " }.Invalid());
        Assert.Equal("Jobs__QueuePollInterval must be between 00:00:00.1 and 00:01:00.", new JobOptions { QueuePollInterval = TimeSpan.Zero }.Invalid());
        Assert.Equal("Jobs__CheckWorkers must be between 1 and 100.", new JobOptions { CheckWorkers = 0 }.Invalid());
        Assert.Equal("Retention__BatchSize must be between 1 and 1000000.", new RetentionOptions { BatchSize = 0 }.Invalid());
        Assert.Equal("Identity__SignInWindow must be between 00:00:01 and 1.00:00:00.", new SignInLimitOptions { SignInWindow = TimeSpan.Zero }.Invalid());
        Assert.StartsWith("Rules__DefaultTimeZone is \"Mars/Olympus\", which is not a time zone this machine knows", new RuleOptions { DefaultTimeZone = "Mars/Olympus" }.Invalid());
        Assert.Null(new RuleOptions { DefaultTimeZone = "Europe/Berlin" }.Invalid());
    }

    [Theory]
    [InlineData("Imap__StageTimeout", "00:00:00", "Imap__StageTimeout must be between 00:00:01 and 00:10:00.")]
    [InlineData("Rules__DefaultTimeZone", "Mars/Olympus", "Rules__DefaultTimeZone is \"Mars/Olympus\", which is not a time zone this machine knows")]
    [InlineData("Jobs__QueuePollInterval", "00:00:00", "Jobs__QueuePollInterval must be between 00:00:00.1 and 00:01:00.")]
    public Task ASettingTheAppCannotRunWith_IsRefusedAtStart_InOneSentence(string setting, string value, string sentence) =>
        AppProcess.AssertRefusedAtStartAsync(database.ConnectionString, new Dictionary<string, string> { [setting] = value }, sentence);

    [Fact]
    public Task TwoWrongSettings_AreBothNamed_SoBothAreFixedInOneGo() =>
        AppProcess.AssertRefusedAtStartAsync(
            database.ConnectionString,
            new Dictionary<string, string> { ["Incidents__StaleAfterIntervals"] = "0", ["Actions__SmtpTimeout"] = "00:00:00" },
            "Incidents__StaleAfterIntervals must be between 2 and 100.",
            "Actions__SmtpTimeout must be between 00:00:01 and 00:10:00.");
}
