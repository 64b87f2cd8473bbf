using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Scheduling;

/// <summary>
/// How many scheduled checks this instance runs at once, shared by all its dispatcher runs (they overlap): in all, and
/// against any one server. The limit per server keeps a backlog (after a restart, every mailbox is due) from opening
/// hundreds of connections to one server, which refuses those beyond its own limit and so raises false alerts; and it
/// keeps a server that hangs from holding every slot while the other servers' mailboxes wait.
/// </summary>
public sealed class CheckSlots(IOptions<CheckDispatchOptions> options) : IDisposable
{
    private readonly SemaphoreSlim semaphore = new(Math.Max(1, options.Value.Concurrency));
    private readonly Dictionary<string, int> perServer = new(StringComparer.Ordinal);

    public int Free => semaphore.CurrentCount;

    public Task WaitAsync(CancellationToken cancellationToken) => semaphore.WaitAsync(cancellationToken);

    public void Release() => semaphore.Release();

    public void Dispose() => semaphore.Dispose();

    /// <summary>Returns once a slot is free (without taking it) or after <paramref name="atMost"/>.</summary>
    public async Task WaitUntilFreeAsync(TimeSpan atMost, CancellationToken cancellationToken)
    {
        if (await semaphore.WaitAsync(atMost, cancellationToken))
        {
            semaphore.Release();
        }
    }

    /// <summary>How a server is named here: host and port, as the mailbox gives them, in lower case.</summary>
    public static string ServerKey(string serverName, int port) => $"{serverName.Trim().ToLowerInvariant()}:{port}";

    /// <summary>Takes one of the server's slots; false when it has as many checks under way as it may.</summary>
    public bool TryEnterServer(string server)
    {
        lock (perServer)
        {
            var running = perServer.GetValueOrDefault(server);
            if (running >= options.Value.ConcurrencyPerServer)
            {
                return false;
            }

            perServer[server] = running + 1;
            return true;
        }
    }

    public void LeaveServer(string server)
    {
        lock (perServer)
        {
            if (perServer.GetValueOrDefault(server) <= 1)
            {
                perServer.Remove(server);
            }
            else
            {
                perServer[server]--;
            }
        }
    }

    /// <summary>The servers with as many checks under way as they may have: their due mailboxes are not claimed now.</summary>
    public string[] FullServers()
    {
        lock (perServer)
        {
            return perServer.Where(p => p.Value >= options.Value.ConcurrencyPerServer).Select(p => p.Key).ToArray();
        }
    }
}
