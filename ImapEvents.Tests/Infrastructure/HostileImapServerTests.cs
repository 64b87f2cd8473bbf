using System.Diagnostics;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Tests.TestSupport;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>Memory is measured for the whole process, so these run while no other test does.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAloneCollection
{
    public const string Name = "Measured alone";
}

/// <summary>
/// IMAP servers that an outsider controls (or rewrites on the path of a plain or STARTTLS connection): what a
/// check of one may cost the app. The goal, stated in the issue that asked for it: under 50 MB and the stage
/// timeout, the connection closed, and the next check starts clean. Steps time out after 3 seconds here.
/// </summary>
[Collection(MeasuredAloneCollection.Name)]
public sealed class HostileImapServerTests(CheckFixture fixture) : IClassFixture<CheckFixture>
{
    private const long FiftyMegabytes = 50L * 1024 * 1024;

    /// <summary>Room for a loaded machine on top of the stage timeout; a check that ran for minutes is far beyond it.</summary>
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan StageTimeout = TimeSpan.FromSeconds(3);

    [Theory]
    [InlineData(HostileBehaviour.EndlessGreeting, ConnectionSecurity.None)]
    [InlineData(HostileBehaviour.EndlessGreeting, ConnectionSecurity.StartTls)]
    [InlineData(HostileBehaviour.EndlessCapabilityLine, ConnectionSecurity.None)]
    public async Task AServerThatNeverEndsItsGreetingOrCapabilities_IsCutOffAt64KB_CostingUnder50MB(HostileBehaviour behaviour, ConnectionSecurity security)
    {
        await using var hostile = new HostileImapServer(behaviour);
        var mailboxId = await MailboxOnAsync(hostile.Port, security);

        var (run, elapsed, memory) = await MeasureAsync(() => fixture.CheckAsync(mailboxId));

        memory.AssertUnder(FiftyMegabytes);
        Assert.True(elapsed < StageTimeout + Tolerance, $"The check took {elapsed}.");
        Assert.Equal(ImapEventType.ConnectionFailed, run.Event?.Type);
        Assert.Equal(CheckErrorKind.TooMuchData, run.Event!.ErrorKind);
        Assert.Equal(
            "The server sent more than 64 KB before login, where an IMAP greeting and its capabilities take less than 1 KB; the connection was closed. " +
            $"Check that 127.0.0.1:{hostile.Port} is an IMAP server and that the connection security is right.",
            run.Event.ErrorMessage);
        await hostile.HungUp.WaitAsync(Tolerance);
        await AssertTheNextCheckOfAHealthyServerSucceedsAsync();
    }

    [Fact]
    public async Task AServerThatNeverEndsItsAnswerToTheLogin_IsCutOffAt1MBMore_CostingUnder50MB()
    {
        await using var hostile = new HostileImapServer(HostileBehaviour.EndlessLoginAnswer);
        var mailboxId = await MailboxOnAsync(hostile.Port, ConnectionSecurity.None);

        var (run, elapsed, memory) = await MeasureAsync(() => fixture.CheckAsync(mailboxId));

        memory.AssertUnder(FiftyMegabytes);
        Assert.True(elapsed < StageTimeout + Tolerance, $"The check took {elapsed}.");
        // Not the credentials' fault: a connection failure, as anything before a login that the server refused.
        Assert.Equal(ImapEventType.ConnectionFailed, run.Event?.Type);
        Assert.Equal(CheckErrorKind.TooMuchData, run.Event!.ErrorKind);
        Assert.Equal(
            "The server sent more than 1,088 KB while logging in, where its answer and the list of folders that follows take a few kilobytes; " +
            "the connection was closed.",
            run.Event.ErrorMessage);
        await hostile.HungUp.WaitAsync(Tolerance);
    }

    [Fact]
    public async Task AServerThatTricklesItsGreeting_IsCutOffAtTheStageTimeout_AndItsConnectionClosed()
    {
        await using var hostile = new HostileImapServer(HostileBehaviour.TrickledGreeting);
        var mailboxId = await MailboxOnAsync(hostile.Port, ConnectionSecurity.None);

        var (run, elapsed, memory) = await MeasureAsync(() => fixture.CheckAsync(mailboxId));

        Assert.Equal(ImapEventType.ConnectionFailed, run.Event?.Type);
        Assert.Equal(CheckErrorKind.Timeout, run.Event!.ErrorKind);
        Assert.Matches(
            @"^The server sent only \d+ byte\(s\) in 3 seconds, too slowly to finish the connect stage; the connection was closed\.$",
            run.Event.ErrorMessage);
        Assert.True(elapsed >= StageTimeout && elapsed < StageTimeout + Tolerance, $"The check took {elapsed}.");
        memory.AssertUnder(FiftyMegabytes);
        // The app closed the connection; the server would have gone on for hours.
        await hostile.HungUp.WaitAsync(Tolerance);
        await AssertTheNextCheckOfAHealthyServerSucceedsAsync();
    }

    [Fact]
    public async Task TestConnection_CutsOffAnEndlessGreeting_InTheSameWords()
    {
        await using var hostile = new HostileImapServer(HostileBehaviour.EndlessGreeting);
        var mailbox = new Mailbox { ServerName = "127.0.0.1", ServerPort = hostile.Port, Security = ConnectionSecurity.None, LoginUsername = "nobody" };

        var (reports, elapsed, memory) = await MeasureAsync(() => fixture.Service<ConnectionTester>().TestAsync(mailbox, "irrelevant", null, CancellationToken.None));

        var connect = reports.Single(r => r.Stage == CheckStage.Connect);
        Assert.Equal(StageState.Failed, connect.State);
        Assert.StartsWith("IMAP Connection Failed: The server sent more than 64 KB before login", connect.Detail, StringComparison.Ordinal);
        Assert.True(elapsed < StageTimeout + Tolerance, $"The test took {elapsed}.");
        memory.AssertUnder(FiftyMegabytes);
        await hostile.HungUp.WaitAsync(Tolerance);
    }

    [Fact]
    public async Task AMessageLargerThanTheServerSaid_IsCutOffAtTheSizeLimitPlus1MB_AndNothingOfItIsImported()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        await fixture.Dovecot.AppendAsync(user, password, "INBOX", DovecotServer.Message("Two megabytes", paddingBytes: 2 * 1024 * 1024));
        await using var liar = new SizeLyingProxy(fixture.Dovecot.Host, fixture.Dovecot.Port);
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, password) with
        {
            ServerName = "127.0.0.1",
            ServerPort = liar.Port,
            MaxMessageSizeKilobytes = 1,
        });

        var run = await fixture.CheckAsync(mailboxId);

        Assert.Equal(ImapEventType.DownloadFailed, run.Event?.Type);
        Assert.Equal(CheckErrorKind.TooMuchData, run.Event!.ErrorKind);
        Assert.StartsWith("The server sent more than 1,025 KB in answer to one command (the mailbox's message size limit plus 1 MB)", run.Event.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(await fixture.ImportedAsync(mailboxId));
    }

    private async Task<Guid> MailboxOnAsync(int port, ConnectionSecurity security) =>
        await fixture.CreateMailboxAsync(fixture.Settings("nobody", "irrelevant") with
        {
            DisplayName = $"Hostile {Guid.NewGuid():N}",
            ServerName = "127.0.0.1",
            ServerPort = port,
            Security = security,
        });

    private async Task AssertTheNextCheckOfAHealthyServerSucceedsAsync()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        await fixture.Dovecot.AppendAsync(user, password, "INBOX", DovecotServer.Message("After the hostile server"));
        var healthy = await fixture.CreateMailboxAsync(fixture.Settings(user, password));

        var run = await fixture.CheckAsync(healthy);

        Assert.True(run.Result!.Succeeded, run.Result.Failure?.Message);
        Assert.Equal(1, run.Result.Imported);
    }

    /// <summary>Runs the work while watching the process's memory: the managed heap and the resident set, at their peak.</summary>
    private static async Task<(T Result, TimeSpan Elapsed, MemoryGrowth Memory)> MeasureAsync<T>(Func<Task<T>> work)
    {
        using var process = Process.GetCurrentProcess();
        var managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        process.Refresh();
        var residentBefore = process.WorkingSet64;
        long managedPeak = managedBefore, residentPeak = residentBefore;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                process.Refresh();
                managedPeak = Math.Max(managedPeak, GC.GetTotalMemory(forceFullCollection: false));
                residentPeak = Math.Max(residentPeak, process.WorkingSet64);
                await Task.Delay(10);
            }
        });

        var clock = Stopwatch.StartNew();
        var result = await work();
        var elapsed = clock.Elapsed;
        await stop.CancelAsync();
        await sampler;
        var managedAfter = GC.GetTotalMemory(forceFullCollection: true);
        return (result, elapsed, new MemoryGrowth(managedPeak - managedBefore, managedAfter - managedBefore, residentPeak - residentBefore));
    }

    private sealed record MemoryGrowth(long ManagedPeak, long ManagedAfter, long ResidentPeak)
    {
        public void AssertUnder(long limit) =>
            Assert.True(ManagedPeak < limit && ManagedAfter < limit && ResidentPeak < limit,
                $"The app grew by {ManagedPeak / 1024 / 1024} MB of managed memory at the peak ({ManagedAfter / 1024 / 1024} MB kept) " +
                $"and {ResidentPeak / 1024 / 1024} MB of resident memory, over the {limit / 1024 / 1024} MB the issue allows.");
    }
}
