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
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 6, 30, 17, 250, TimeSpan.Zero);

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(59)]
    [InlineData(120)]
    [InlineData(1440)]
    public void TheNextCheck_IsWithinOneInterval_OnTheMailboxOwnGrid(int minutes)
    {
        var id = Guid.NewGuid();
        var interval = TimeSpan.FromMinutes(minutes);

        var next = PollSchedule.NextDue(minutes, id, Now);
        var after = PollSchedule.NextDue(minutes, id, next);

        Assert.InRange(next, Now.AddTicks(1), Now + interval);
        Assert.Equal(interval, after - next);
        Assert.Equal(PollSchedule.Offset(minutes, id), TimeSpan.FromTicks((next - DateTimeOffset.UnixEpoch).Ticks % interval.Ticks));
        Assert.InRange(PollSchedule.Offset(minutes, id), TimeSpan.Zero, interval - TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void ADueTime_IsNeverTheMomentItself_SoACheckThatStartsOnTimeIsNotDueAgain()
    {
        var id = Guid.NewGuid();
        var due = PollSchedule.NextDue(1, id, Now);

        Assert.Equal(due.AddMinutes(1), PollSchedule.NextDue(1, id, due));
        Assert.Equal(due, PollSchedule.NextDue(1, id, due.AddTicks(-1)));
    }

    [Fact]
    public void ManyMailboxes_AreSpreadOverTheWholeMinute()
    {
        var seconds = Enumerable.Range(0, 2_000).Select(_ => PollSchedule.Offset(1, Guid.NewGuid()).Seconds).ToList();

        Assert.Equal(60, seconds.Distinct().Count());
        // Even, not a spike: no second of the minute gets more than twice its share.
        Assert.All(seconds.GroupBy(s => s), second => Assert.InRange(second.Count(), 1, 2 * 2_000 / 60));
    }

    [Fact]
    public void TheSameMailbox_AlwaysKeepsItsPlace()
    {
        var id = Guid.NewGuid();

        Assert.Equal(PollSchedule.Offset(5, id), PollSchedule.Offset(5, id));
        Assert.Equal(PollSchedule.NextDue(5, id, Now), PollSchedule.NextDue(5, id, Now));
    }
}
