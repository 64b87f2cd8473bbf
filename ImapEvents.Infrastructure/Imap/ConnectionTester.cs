using System.Diagnostics;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Mailboxes;
using MailKit;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Imap;

public enum StageState
{
    Waiting,
    Running,
    Passed,
    Failed,
    NotRun,
}

public sealed record StageReport(CheckStage Stage, StageState State, string Detail, TimeSpan Elapsed);

/// <summary>
/// "Test connection": runs the stages of a check against the server now, without importing or
/// changing anything, and reports each stage as it finishes.
/// </summary>
public sealed class ConnectionTester(IOptions<ImapCheckOptions> options, TimeProvider time)
{
    public async Task<IReadOnlyList<StageReport>> TestAsync(Mailbox mailbox, string password, IProgress<StageReport>? progress, CancellationToken cancellationToken)
    {
        var reports = new List<StageReport>();
        // The same connection as a check's: the same read limits, and a timed-out stage closes it.
        await using var connection = new ImapConnection(options.Value);
        var client = connection.Client;

        async Task<bool> RunStage(CheckStage stage, Func<CancellationToken, Task<string>> work)
        {
            progress?.Report(new StageReport(stage, StageState.Running, "", TimeSpan.Zero));
            var clock = Stopwatch.StartNew();
            StageReport report;
            try
            {
                var detail = await connection.RunAsync(work, cancellationToken);
                report = new StageReport(stage, StageState.Passed, detail, clock.Elapsed);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                var failure = CheckFailure.From(stage, ex, ex is StepTimedOutException, connection.StageTimeout);
                report = new StageReport(stage, StageState.Failed, $"{failure.Stage.EventType().DisplayName()}: {failure.Message}", clock.Elapsed);
            }

            reports.Add(report);
            progress?.Report(report);
            return report.State == StageState.Passed;
        }

        var passed =
            await RunStage(CheckStage.Connect, async token =>
            {
                await connection.ConnectAsync(mailbox, token);
                var connected = client.IsSecure ? $"Connected with {client.SslProtocol}." : "Connected without encryption.";
                return connection.ServerCertificate is { } certificate ? $"{connected} {certificate.Validity(time.GetUtcNow())}" : connected;
            })
            && await RunStage(CheckStage.Authenticate, async token =>
            {
                await connection.AuthenticateAsync(mailbox.LoginUsername, password, token);
                return $"Logged in as {mailbox.LoginUsername}.";
            })
            && await RunStage(CheckStage.Download, async token =>
            {
                var folder = await connection.OpenFolderAsync(mailbox.Folder, FolderAccess.ReadOnly, token);
                var detail = $"{folder.FullName} holds {folder.Count} message(s).";
                if (mailbox.AfterImport == AfterImport.MoveToFolder && mailbox.MoveToFolder is { } moveTo)
                {
                    var destination = await client.GetFolderAsync(moveTo, token);
                    detail += $" Imported messages will move to {destination.FullName}.";
                }

                return detail;
            });

        foreach (var stage in Enum.GetValues<CheckStage>().Where(s => reports.All(r => r.Stage != s)))
        {
            var report = new StageReport(stage, StageState.NotRun,
                stage == CheckStage.Import && passed ? "Nothing is imported by a test; the next check imports new messages." : "Not run: an earlier stage failed.",
                TimeSpan.Zero);
            reports.Add(report);
            progress?.Report(report);
        }

        return reports;
    }
}
