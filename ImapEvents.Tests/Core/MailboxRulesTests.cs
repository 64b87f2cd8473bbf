using ImapEvents.Core.Mailboxes;

namespace ImapEvents.Tests.Core;

public sealed class MailboxRulesTests
{
    private static readonly MailboxSettings Valid = new()
    {
        DisplayName = "Support",
        ServerName = "imap.example.com",
        ServerPort = 993,
        LoginUsername = "support@example.com",
        Password = "secret",
    };

    [Fact]
    public void AValidMailbox_HasNoErrors() => Assert.Empty(MailboxRules.Validate(Valid, isNew: true));

    [Theory]
    [InlineData("imap.example.com")]
    [InlineData("mail-1.example.co.uk")]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("[2001:db8::1]")]
    public void GoodHostNames_AreAccepted(string host) => Assert.Null(MailboxRules.HostNameProblem(host));

    [Theory]
    [InlineData("")]
    [InlineData("imap://imap.example.com")]
    [InlineData("imap.example.com:993")]
    [InlineData("imap example.com")]
    [InlineData("-bad.example.com")]
    [InlineData("a..b")]
    public void BadHostNames_AreExplained(string host) => Assert.NotNull(MailboxRules.HostNameProblem(host));

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    [InlineData(-1)]
    [InlineData(null)]
    public void PortsOutside1To65535_AreRefused(int? port) =>
        Assert.Contains(nameof(MailboxSettings.ServerPort), MailboxRules.Validate(Valid with { ServerPort = port }, isNew: true).Keys);

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(59, true)]
    [InlineData(60, true)]
    [InlineData(90, false)]
    [InlineData(120, true)]
    [InlineData(1440, true)]
    [InlineData(1500, false)]
    public void PollIntervals_AreMinutesUpToAnHour_ThenWholeHours(int minutes, bool valid) =>
        Assert.Equal(valid, !MailboxRules.Validate(Valid with { PollIntervalMinutes = minutes }, isNew: true).ContainsKey(nameof(MailboxSettings.PollIntervalMinutes)));

    [Fact]
    public void APassword_IsRequiredForANewMailbox_ButNotWhenEditing()
    {
        Assert.Contains(nameof(MailboxSettings.Password), MailboxRules.Validate(Valid with { Password = null }, isNew: true).Keys);
        Assert.Empty(MailboxRules.Validate(Valid with { Password = null }, isNew: false));
    }

    [Fact]
    public void MovingAfterImport_NeedsAnotherFolder()
    {
        var noFolder = MailboxRules.Validate(Valid with { AfterImport = AfterImport.MoveToFolder, MoveToFolder = "" }, isNew: true);
        var sameFolder = MailboxRules.Validate(Valid with { AfterImport = AfterImport.MoveToFolder, MoveToFolder = "inbox" }, isNew: true);
        var otherFolder = MailboxRules.Validate(Valid with { AfterImport = AfterImport.MoveToFolder, MoveToFolder = "Archive" }, isNew: true);

        Assert.Contains(nameof(MailboxSettings.MoveToFolder), noFolder.Keys);
        Assert.Contains(nameof(MailboxSettings.MoveToFolder), sameFolder.Keys);
        Assert.Empty(otherFolder);
    }

    [Theory]
    [InlineData(ConnectionSecurity.None, false)]
    [InlineData(ConnectionSecurity.StartTls, true)]
    [InlineData(ConnectionSecurity.SslOnConnect, true)]
    public void Ssl_IsTrue_WhenTheConnectionRequiresTls(ConnectionSecurity security, bool ssl) => Assert.Equal(ssl, security.RequiresTls());
}

public sealed class PollScheduleTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(59)]
    public void UnderAnHour_RunsEveryNMinutes_FromAMailboxOwnOffset(int minutes)
    {
        var id = Guid.NewGuid();
        var cron = PollSchedule.Cron(minutes, id);

        var parts = cron.Split(' ');
        Assert.Equal(5, parts.Length);
        var offset = int.Parse(parts[0].Split('/')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(offset, 0, minutes - 1);
        Assert.Equal($"{offset}/{minutes}", parts[0]);
        Assert.Equal(["*", "*", "*", "*"], parts[1..]);
        Assert.Equal(cron, PollSchedule.Cron(minutes, id));
    }

    [Fact]
    public void WholeHours_RunEveryNHours_AndADay_OnceADay()
    {
        var id = Guid.NewGuid();

        var everyTwoHours = PollSchedule.Cron(120, id).Split(' ');
        var daily = PollSchedule.Cron(1440, id).Split(' ');

        Assert.EndsWith("/2", everyTwoHours[1], StringComparison.Ordinal);
        Assert.Equal(["*", "*", "*"], everyTwoHours[2..]);
        Assert.DoesNotContain("/", daily[1], StringComparison.Ordinal);
        Assert.Equal(["*", "*", "*"], daily[2..]);
    }

    [Fact]
    public void ManyMailboxes_AreSpreadOverTheInterval()
    {
        var offsets = Enumerable.Range(0, 200).Select(_ => PollSchedule.Cron(5, Guid.NewGuid()).Split('/')[0]).Distinct().Count();

        Assert.Equal(5, offsets);
    }
}
