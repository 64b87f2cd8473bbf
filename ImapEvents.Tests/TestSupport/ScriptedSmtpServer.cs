using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// A small SMTP server on loopback that answers each RCPT TO as told, for what netDumbster cannot do:
/// refuse one recipient (550) or defer one (451). Everything else is accepted and recorded.
/// </summary>
public sealed class ScriptedSmtpServer : LoopbackTcpServer
{
    public ScriptedSmtpServer() => Start();

    /// <summary>The reply to RCPT TO for an address ("250 OK" when it returns null).</summary>
    public Func<string, string?> RecipientReply { get; set; } = _ => null;

    /// <summary>Each accepted message: its accepted recipients and its data.</summary>
    public ConcurrentQueue<(IReadOnlyList<string> Recipients, string Data)> Messages { get; } = new();

    protected override async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 scripted ESMTP");
            var recipients = new List<string>();
            while (await reader.ReadLineAsync(Stopping) is { } line)
            {
                var command = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
                switch (command)
                {
                    case "EHLO":
                    case "HELO":
                        await writer.WriteLineAsync("250 scripted");
                        break;
                    case "MAIL":
                        recipients.Clear();
                        await writer.WriteLineAsync("250 OK");
                        break;
                    case "RCPT":
                        var address = line[(line.IndexOf('<', StringComparison.Ordinal) + 1)..line.IndexOf('>', StringComparison.Ordinal)];
                        var reply = RecipientReply(address);
                        if (reply is null)
                        {
                            recipients.Add(address);
                        }

                        await writer.WriteLineAsync(reply ?? "250 OK");
                        break;
                    case "DATA":
                        await writer.WriteLineAsync("354 go ahead");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(Stopping) is { } dataLine && dataLine != ".")
                        {
                            data.AppendLine(dataLine);
                        }

                        Messages.Enqueue((recipients.ToList(), data.ToString()));
                        await writer.WriteLineAsync("250 queued");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 bye");
                        return;
                    default:
                        await writer.WriteLineAsync(command == "RSET" || command == "NOOP" ? "250 OK" : "502 not implemented");
                        break;
                }
            }
        }
    }
}
