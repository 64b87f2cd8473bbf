using System.Diagnostics;
using System.Globalization;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Mailboxes;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Imap;

/// <param name="Certificate">The server's certificate when the connection used TLS (even when the check failed later).</param>
public sealed record CheckResult(CheckStage StageReached, int Imported, int Failed, CheckFailure? Failure, ServerCertificate? Certificate = null)
{
    public bool Succeeded => Failure is null;
}

/// <summary>
/// One check of one mailbox with MailKit: connect, log in, download what is new, import it. The
/// server copy is changed only after the import committed; a message that fails stays on the server.
/// </summary>
public sealed class ImapCheck(MessageImporter importer, IOptions<ImapCheckOptions> options, ILogger<ImapCheck> logger)
{
    public async Task<CheckResult> RunAsync(Mailbox mailbox, string password, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var stage = CheckStage.Connect;
        var imported = 0;
        var importFailures = new List<(long Uid, CheckFailure Failure)>();

        await using var connection = new ImapConnection(settings);
        var client = connection.Client;
        try
        {
            await connection.RunAsync(token => connection.ConnectAsync(mailbox, token), cancellationToken);

            stage = CheckStage.Authenticate;
            await connection.RunAsync(token => connection.AuthenticateAsync(mailbox.LoginUsername, password, token), cancellationToken);

            stage = CheckStage.Download;
            var folder = await connection.RunAsync(token => connection.OpenFolderAsync(mailbox.Folder, FolderAccess.ReadWrite, token), cancellationToken);
            var uidValidity = (long)folder.UidValidity;
            var query = await NewMessagesQueryAsync(mailbox, uidValidity, cancellationToken);
            var found = await connection.RunAsync(token => folder.SearchAsync(query, token), cancellationToken);
            var known = await importer.FindImportedAsync(mailbox.Id, uidValidity, found.Select(u => (long)u.Id).ToList(), cancellationToken);
            var budget = Stopwatch.StartNew();

            // Messages imported by a check that stopped before changing the server copy: finish that, never import again.
            foreach (var uid in found.Where(u => known.TryGetValue(u.Id, out var pending) && pending).Take(settings.MaxMessagesPerCheck))
            {
                if (budget.Elapsed > settings.CheckBudget)
                {
                    break;
                }

                stage = CheckStage.Import;
                if (await TryChangeServerCopyAsync(client, folder, mailbox, uidValidity, uid, connection, cancellationToken) is { } failure)
                {
                    importFailures.Add((uid.Id, failure));
                }
            }

            var unknown = found.Where(u => !known.ContainsKey(u.Id)).OrderBy(u => u.Id).ToList();
            if (unknown.Count > 0)
            {
                stage = CheckStage.Download;
                // Sizes of everything new (cheap, one command); envelopes only for this check's batch.
                var sizes = (await connection.RunAsync(
                        token => folder.FetchAsync(unknown, MessageSummaryItems.UniqueId | MessageSummaryItems.Size, token), cancellationToken))
                    .ToDictionary(summary => summary.UniqueId, summary => (long)(summary.Size ?? 0));
                var limit = (long)mailbox.MaxMessageSizeKilobytes * 1024;

                // Oversized messages are reported without taking a place in this check's quota,
                // so a few of them can never hold back the mail behind them.
                var fresh = new List<UniqueId>();
                foreach (var uid in unknown)
                {
                    var size = sizes.GetValueOrDefault(uid);
                    if (size > limit)
                    {
                        importFailures.Add((uid.Id, TooLarge(size, limit)));
                    }
                    else if (fresh.Count < settings.MaxMessagesPerCheck)
                    {
                        fresh.Add(uid);
                    }
                }

                var messageIds = fresh.Count == 0
                    ? []
                    : (await connection.RunAsync(
                            token => folder.FetchAsync(fresh, MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope, token), cancellationToken))
                        .ToDictionary(summary => summary.UniqueId, summary => summary.Envelope?.MessageId);

                // After a UIDVALIDITY change the server renumbers every message; the ones imported
                // under the old numbering are recognised by Message-ID and size, take their new number,
                // and only get their server change.
                var alreadyImported = await importer.FindImportedElsewhereAsync(
                    mailbox.Id, uidValidity,
                    fresh.Select(u => (messageIds.GetValueOrDefault(u), (int)sizes.GetValueOrDefault(u))).ToList(),
                    cancellationToken);

                foreach (var uid in fresh)
                {
                    if (budget.Elapsed > settings.CheckBudget)
                    {
                        logger.LogInformation("Check of mailbox {MailboxId} used its time budget; the remaining messages wait for the next check", mailbox.Id);
                        break;
                    }

                    if (messageIds.GetValueOrDefault(uid) is { } messageId
                        && alreadyImported.Contains((messageId, (int)sizes.GetValueOrDefault(uid))))
                    {
                        stage = CheckStage.Import;
                        await importer.RenumberAsync(mailbox.Id, messageId, (int)sizes.GetValueOrDefault(uid), uidValidity, uid.Id, cancellationToken);
                        if (await TryChangeServerCopyAsync(client, folder, mailbox, uidValidity, uid, connection, cancellationToken) is { } duplicateFailure)
                        {
                            importFailures.Add((uid.Id, duplicateFailure));
                        }

                        continue;
                    }

                    stage = CheckStage.Download;
                    var raw = await connection.RunAsync(token => DownloadAsync(folder, uid, token), cancellationToken);

                    stage = CheckStage.Import;
                    if (raw.Length > limit)
                    {
                        importFailures.Add((uid.Id, TooLarge(raw.Length, limit)));
                        continue;
                    }

                    try
                    {
                        if (await importer.StoreAsync(mailbox.Id, uidValidity, uid.Id, raw, cancellationToken))
                        {
                            imported++;
                        }
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        logger.LogWarning(ex, "Message UID {Uid} of mailbox {MailboxId} could not be imported; it stays on the server", uid.Id, mailbox.Id);
                        importFailures.Add((uid.Id, CheckFailure.From(CheckStage.Import, ex, timedOut: false, connection.StageTimeout)));
                        continue;
                    }

                    if (await TryChangeServerCopyAsync(client, folder, mailbox, uidValidity, uid, connection, cancellationToken) is { } failure)
                    {
                        importFailures.Add((uid.Id, failure));
                    }
                }
            }

            foreach (var (uid, failure) in importFailures.Where(f => f.Failure.Kind != CheckErrorKind.ServerUpdate))
            {
                await importer.RecordFailureAsync(mailbox.Id, uidValidity, uid, failure.Message, cancellationToken);
            }

            return new CheckResult(
                importFailures.Count > 0 ? CheckStage.Import : stage, imported, importFailures.Count, Summarize(importFailures, imported), connection.ServerCertificate);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var failure = CheckFailure.From(stage, ex, ex is StepTimedOutException, connection.StageTimeout);
            // The certificate was seen in the handshake, before whatever failed: its expiry is recorded all the same.
            return new CheckResult(stage, imported, importFailures.Count, failure, connection.ServerCertificate);
        }
    }

    /// <summary>
    /// New messages: everything in the folder, or with "mark as seen" (where imported mail stays) the
    /// messages above the highest UID imported so far, read or not, plus any still unread below it.
    /// </summary>
    private async Task<SearchQuery> NewMessagesQueryAsync(Mailbox mailbox, long uidValidity, CancellationToken cancellationToken)
    {
        if (mailbox.AfterImport != AfterImport.MarkSeen)
        {
            return SearchQuery.All;
        }

        var (highest, failed) = await importer.ProgressAsync(mailbox.Id, uidValidity, cancellationToken);
        if (highest is not { } last || last >= uint.MaxValue - 1)
        {
            return SearchQuery.All;
        }

        var query = SearchQuery.Uids(new UniqueIdRange(new UniqueId((uint)last + 1), UniqueId.MaxValue)).Or(SearchQuery.NotSeen);

        // Messages that failed before are tried again even when read and below the highest imported UID.
        return failed.Count == 0 ? query : query.Or(SearchQuery.Uids(failed.Select(uid => new UniqueId((uint)uid)).ToList()));
    }

    private async Task<CheckFailure?> TryChangeServerCopyAsync(
        ImapClient client, IMailFolder folder, Mailbox mailbox, long uidValidity, UniqueId uid, ImapConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await connection.RunAsync(token => ChangeServerCopyAsync(client, folder, mailbox, uid, token), cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            if (!client.IsConnected || connection.Aborted)
            {
                throw;
            }

            logger.LogWarning(ex, "Message UID {Uid} of mailbox {MailboxId} is imported but its server copy could not be changed", uid.Id, mailbox.Id);
            return new CheckFailure(CheckStage.Import, CheckErrorKind.ServerUpdate,
                $"The server copy of message UID {uid.Id} could not be updated ({mailbox.AfterImport.DisplayName().ToLowerInvariant()}): {ex.Message}");
        }

        await importer.MarkServerChangeDoneAsync(mailbox.Id, uidValidity, uid.Id, cancellationToken);
        return null;
    }

    private static async Task ChangeServerCopyAsync(ImapClient client, IMailFolder folder, Mailbox mailbox, UniqueId uid, CancellationToken cancellationToken)
    {
        switch (mailbox.AfterImport)
        {
            case AfterImport.MarkSeen:
                await folder.StoreAsync([uid], new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen) { Silent = true }, cancellationToken);
                break;
            case AfterImport.MoveToFolder:
                var destination = await client.GetFolderAsync(mailbox.MoveToFolder!, cancellationToken);
                if (string.Equals(destination.FullName, folder.FullName, StringComparison.Ordinal))
                {
                    // Moving a message onto itself gives it a new UID, and it would be imported again.
                    throw new InvalidOperationException($"\"{mailbox.MoveToFolder}\" is the folder being imported from; choose another folder to move imported mail to.");
                }

                await folder.MoveToAsync([uid], destination, cancellationToken);
                break;
            case AfterImport.Delete:
                await folder.StoreAsync([uid], new StoreFlagsRequest(StoreAction.Add, MessageFlags.Deleted) { Silent = true }, cancellationToken);
                await folder.ExpungeAsync([uid], cancellationToken);
                break;
        }
    }

    private static async Task<byte[]> DownloadAsync(IMailFolder folder, UniqueId uid, CancellationToken cancellationToken)
    {
        await using var stream = await folder.GetStreamAsync(uid, cancellationToken);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private static CheckFailure TooLarge(long size, long limit) =>
        new(CheckStage.Import, CheckErrorKind.MessageTooLarge,
            $"{KiloBytes(size)} KB, over the limit of {KiloBytes(limit)} KB");

    private static string KiloBytes(long bytes) => (bytes / 1024.0).ToString("#,0", CultureInfo.InvariantCulture);

    /// <summary>One event per check: the import failures of all messages, in one message.</summary>
    private static CheckFailure? Summarize(List<(long Uid, CheckFailure Failure)> failures, int imported)
    {
        if (failures.Count == 0)
        {
            return null;
        }

        var details = string.Join("; ", failures.Take(5).Select(f => $"UID {f.Uid}: {f.Failure.Message}"));
        var more = failures.Count > 5 ? $"; and {failures.Count - 5} more" : "";
        var message = $"{failures.Count} message(s) could not be imported and stay on the server ({imported} imported). {details}{more}";
        return new CheckFailure(CheckStage.Import, failures[0].Failure.Kind, message);
    }
}
