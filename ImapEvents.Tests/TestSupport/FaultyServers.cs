using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// A TCP server on a loopback port of its own: accepts connections until disposed and hands each to
/// <see cref="ServeAsync"/>. The fault servers below and the scripted SMTP server build on it.
/// </summary>
public abstract class LoopbackTcpServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private Task acceptLoop = Task.CompletedTask;

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>Cancelled when the server is disposed.</summary>
    protected CancellationToken Stopping => stop.Token;

    /// <summary>Called by each subclass's constructor once it is ready to serve.</summary>
    protected void Start()
    {
        listener.Start();
        acceptLoop = AcceptAsync();
    }

    protected abstract Task ServeAsync(TcpClient client);

    /// <summary>A loopback port where nothing listens.</summary>
    public static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public virtual async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await acceptLoop;
        stop.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Accepts TCP connections on loopback and then says nothing, like a hung server.</summary>
public sealed class SilentListener : LoopbackTcpServer
{
    private readonly List<TcpClient> accepted = [];

    public SilentListener() => Start();

    /// <summary>How many connections it accepted (and then never spoke to).</summary>
    public int Accepted
    {
        get
        {
            lock (accepted)
            {
                return accepted.Count;
            }
        }
    }

    protected override Task ServeAsync(TcpClient client)
    {
        lock (accepted)
        {
            accepted.Add(client);
        }

        return Task.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        lock (accepted)
        {
            accepted.ForEach(c => c.Dispose());
        }
    }
}

/// <summary>
/// A loopback proxy in front of the real IMAP server that cuts the connection the moment the client
/// asks for a message body: the network failing in the middle of a download.
/// </summary>
public sealed class CuttingProxy : LoopbackTcpServer
{
    private readonly string targetHost;
    private readonly int targetPort;

    public CuttingProxy(string targetHost, int targetPort)
    {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        Start();
    }

    public int Cuts { get; private set; }

    protected override async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            await server.ConnectAsync(targetHost, targetPort);
            var fromServer = server.GetStream().CopyToAsync(client.GetStream(), Stopping);
            var buffer = new byte[8192];
            var clientStream = client.GetStream();
            try
            {
                int read;
                while ((read = await clientStream.ReadAsync(buffer, Stopping)) > 0)
                {
                    var text = Encoding.ASCII.GetString(buffer, 0, read);
                    if (text.Contains("FETCH", StringComparison.OrdinalIgnoreCase) && text.Contains("BODY", StringComparison.OrdinalIgnoreCase))
                    {
                        Cuts++;
                        client.Client.LingerState = new LingerOption(true, 0); // a reset, as when a route dies
                        return;
                    }

                    await server.GetStream().WriteAsync(buffer.AsMemory(0, read), Stopping);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
            {
            }

            try
            {
                await fromServer;
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }
}

/// <summary>How a <see cref="HostileImapServer"/> misbehaves.</summary>
public enum HostileBehaviour
{
    /// <summary>"* OK " and then bytes without end, never a line break.</summary>
    EndlessGreeting,

    /// <summary>A proper greeting without capabilities; asked for them, a CAPABILITY line without end.</summary>
    EndlessCapabilityLine,

    /// <summary>A greeting that comes one byte a second, for ever.</summary>
    TrickledGreeting,

    /// <summary>A proper greeting offering AUTH=PLAIN; asked to log in, a continuation line without end.</summary>
    EndlessLoginAnswer,
}

/// <summary>
/// A server on the IMAP port that an outsider controls, or that someone on the path of a plain connection
/// rewrites. It notices when the client hangs up, which is how a test sees that the app closed the connection.
/// </summary>
public sealed class HostileImapServer : LoopbackTcpServer
{
    /// <summary>A test machine's safety stop: far above anything the app may read, far below what would hurt the machine.</summary>
    private const long MaxBytesPerConnection = 1L << 30;

    private readonly HostileBehaviour behaviour;
    private readonly TaskCompletionSource hungUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long bytesSent;

    public HostileImapServer(HostileBehaviour behaviour)
    {
        this.behaviour = behaviour;
        Start();
    }

    /// <summary>Completes when the client closed a connection.</summary>
    public Task HungUp => hungUp.Task;

    public long BytesSent => Interlocked.Read(ref bytesSent);

    protected override async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var commandSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var clientGone = WatchForHangUpAsync(stream, commandSeen);
            try
            {
                switch (behaviour)
                {
                    case HostileBehaviour.EndlessGreeting:
                        await SendWithoutEndAsync(stream, "* OK ", clientGone);
                        break;
                    case HostileBehaviour.EndlessCapabilityLine:
                        await SendAsync(stream, "* OK Hostile IMAP server ready\r\n");
                        await Task.WhenAny(commandSeen.Task, clientGone).WaitAsync(Stopping);
                        await SendWithoutEndAsync(stream, "* CAPABILITY IMAP4rev1 ", clientGone);
                        break;
                    case HostileBehaviour.EndlessLoginAnswer:
                        await SendAsync(stream, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Hostile IMAP server ready\r\n");
                        await Task.WhenAny(commandSeen.Task, clientGone).WaitAsync(Stopping);
                        await SendWithoutEndAsync(stream, "+ ", clientGone);
                        break;
                    case HostileBehaviour.TrickledGreeting:
                        var greeting = "* OK " + string.Concat(Enumerable.Repeat("slowly ", 10_000));
                        foreach (var letter in greeting)
                        {
                            await SendAsync(stream, letter.ToString());
                            if (await Task.WhenAny(clientGone, Task.Delay(TimeSpan.FromSeconds(1), Stopping)) == clientGone)
                            {
                                break;
                            }
                        }

                        break;
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client hung up while we were sending: what the tests want to see.
            }

            try
            {
                await clientGone.WaitAsync(Stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            hungUp.TrySetResult();
        }
    }

    private async Task SendAsync(NetworkStream stream, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        await stream.WriteAsync(bytes, Stopping);
        Interlocked.Add(ref bytesSent, bytes.Length);
    }

    private async Task SendWithoutEndAsync(NetworkStream stream, string start, Task clientGone)
    {
        await SendAsync(stream, start);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'A');
        for (long sent = 0; sent < MaxBytesPerConnection && !clientGone.IsCompleted; sent += chunk.Length)
        {
            await stream.WriteAsync(chunk, Stopping);
            Interlocked.Add(ref bytesSent, chunk.Length);
        }
    }

    /// <summary>Reads whatever the client sends; ends when the client closes the connection (or resets it).</summary>
    private async Task WatchForHangUpAsync(NetworkStream stream, TaskCompletionSource commandSeen)
    {
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, Stopping) > 0)
            {
                commandSeen.TrySetResult();
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
    }
}

/// <summary>
/// A loopback proxy in front of the real IMAP server that says every message is 1 byte (RFC822.SIZE 1): a server
/// that lies about sizes, so the check's size limit before download lets everything through.
/// </summary>
public sealed class SizeLyingProxy : LoopbackTcpServer
{
    private readonly string targetHost;
    private readonly int targetPort;

    public SizeLyingProxy(string targetHost, int targetPort)
    {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        Start();
    }

    protected override async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            await server.ConnectAsync(targetHost, targetPort);
            var toServer = client.GetStream().CopyToAsync(server.GetStream(), Stopping);
            var buffer = new byte[64 * 1024];
            try
            {
                int read;
                while ((read = await server.GetStream().ReadAsync(buffer, Stopping)) > 0)
                {
                    // Latin-1 maps every byte to one char and back, so message bodies pass through unchanged.
                    var text = Encoding.Latin1.GetString(buffer, 0, read);
                    var lied = System.Text.RegularExpressions.Regex.Replace(text, @"RFC822\.SIZE \d+", "RFC822.SIZE 1");
                    await client.GetStream().WriteAsync(Encoding.Latin1.GetBytes(lied), Stopping);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }

            try
            {
                await toServer;
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }
}

/// <summary>
/// A loopback proxy in front of the real IMAP server that holds the client's n-th command naming a given verb: the
/// command never reaches the server and no answer comes, so the client waits in the middle of its work for as long
/// as the test needs (to kill it there). Every later connection passes untouched.
/// </summary>
public sealed class HoldingProxy : LoopbackTcpServer
{
    private readonly string targetHost;
    private readonly int targetPort;
    private readonly string verb;
    private readonly int occurrence;
    private readonly TaskCompletionSource holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int seen;

    public HoldingProxy(string targetHost, int targetPort, string verb, int occurrence)
    {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.verb = $" {verb} ";
        this.occurrence = occurrence;
        Start();
    }

    /// <summary>Completes when the command is being held.</summary>
    public Task Holding => holding.Task;

    protected override async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            await server.ConnectAsync(targetHost, targetPort);
            var fromServer = server.GetStream().CopyToAsync(client.GetStream(), Stopping);
            var buffer = new byte[8192];
            var clientStream = client.GetStream();
            var held = false;
            try
            {
                int read;
                while ((read = await clientStream.ReadAsync(buffer, Stopping)) > 0)
                {
                    if (!held && !holding.Task.IsCompleted
                        && Encoding.ASCII.GetString(buffer, 0, read).Contains(verb, StringComparison.OrdinalIgnoreCase)
                        && Interlocked.Increment(ref seen) == occurrence)
                    {
                        held = true;
                        holding.TrySetResult();
                    }

                    if (!held)
                    {
                        await server.GetStream().WriteAsync(buffer.AsMemory(0, read), Stopping);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
            {
            }

            // The client is gone: so is the connection to the server.
            server.Close();
            try
            {
                await fromServer;
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }
}

/// <summary>
/// An HTTP receiver on a bare socket that answers 500 with a body that never ends, as a hostile or broken
/// receiver might. It counts what its socket accepted: a socket write fails once the client has hung up,
/// where a web server's buffered writes go on succeeding (into nothing) until it notices, which made the
/// count a measure of the server's reaction time rather than of what the client read.
/// </summary>
public sealed class EndlessBodyReceiver : LoopbackTcpServer
{
    private long bytesSent;

    public EndlessBodyReceiver() => Start();

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    /// <summary>How much of the endless body went out before the client hung up.</summary>
    public long BytesSent => Interlocked.Read(ref bytesSent);

    protected override async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            try
            {
                await ReadRequestAsync(stream);
                // No length and "Connection: close": the body ends only when the connection does.
                await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"), Stopping);
                var chunk = new byte[64 * 1024];
                Array.Fill(chunk, (byte)'x');
                while (true)
                {
                    await stream.WriteAsync(chunk, Stopping);
                    Interlocked.Add(ref bytesSent, chunk.Length);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client hung up: what a sender that reads only the start of a body does.
            }
        }
    }

    /// <summary>Reads the request's head and as much body as its Content-Length says.</summary>
    private async Task ReadRequestAsync(NetworkStream stream)
    {
        var received = new List<byte>();
        var buffer = new byte[8192];
        int headEnd;
        while ((headEnd = IndexOfHeadEnd(received)) < 0)
        {
            var read = await stream.ReadAsync(buffer, Stopping);
            if (read == 0)
            {
                throw new IOException("The client closed before its request ended.");
            }

            received.AddRange(buffer.AsSpan(0, read));
        }

        var head = Encoding.ASCII.GetString(received.ToArray(), 0, headEnd);
        var length = head.Split("\r\n").Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2 && parts[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(parts => int.Parse(parts[1].Trim(), System.Globalization.CultureInfo.InvariantCulture))
            .FirstOrDefault();
        var bodyRead = received.Count - headEnd - 4;
        while (bodyRead < length)
        {
            var read = await stream.ReadAsync(buffer, Stopping);
            if (read == 0)
            {
                throw new IOException("The client closed before its request ended.");
            }

            bodyRead += read;
        }
    }

    private static int IndexOfHeadEnd(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>
/// A loopback relay in front of a real server (PostgreSQL) that a test can cut and restore: <see cref="Cut"/>
/// resets every open connection and every new one until <see cref="Restore"/>, as when the database host
/// goes away for a while and comes back.
/// </summary>
public sealed class SeverableProxy : LoopbackTcpServer
{
    private readonly string targetHost;
    private readonly int targetPort;
    private readonly List<TcpClient> open = [];
    private volatile bool cut;

    public SeverableProxy(string targetHost, int targetPort)
    {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        Start();
    }

    /// <summary>Connections refused while cut.</summary>
    public int Refused => refused;

    private int refused;

    public void Cut()
    {
        cut = true;
        lock (open)
        {
            open.ForEach(Reset);
            open.Clear();
        }
    }

    public void Restore() => cut = false;

    protected override async Task ServeAsync(TcpClient client)
    {
        if (cut)
        {
            Interlocked.Increment(ref refused);
            Reset(client);
            return;
        }

        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(targetHost, targetPort, Stopping);
            lock (open)
            {
                open.Add(client);
                open.Add(server);
            }

            // Either side ending (or a cut) ends both.
            await Task.WhenAny(
                client.GetStream().CopyToAsync(server.GetStream(), Stopping),
                server.GetStream().CopyToAsync(client.GetStream(), Stopping));
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            lock (open)
            {
                open.Remove(client);
                open.Remove(server);
            }

            client.Dispose();
        }
    }

    /// <summary>Closes with a reset, not a polite FIN: what a vanished host looks like to the other end.</summary>
    private static void Reset(TcpClient connection)
    {
        try
        {
            connection.Client.LingerState = new LingerOption(true, 0);
            connection.Client.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        connection.Dispose();
    }

    public override async ValueTask DisposeAsync()
    {
        Cut();
        await base.DisposeAsync();
    }
}

/// <summary>
/// An IMAP server that refuses every login with words of its own choosing, sent as raw bytes: a NUL, bytes that are
/// not UTF-8, thousands of characters. What it says lands in the check's error, the incident and the event.
/// </summary>
public sealed class RefusingImapServer : LoopbackTcpServer
{
    private readonly byte[] refusal;

    public RefusingImapServer(byte[] refusal)
    {
        this.refusal = refusal;
        Start();
    }

    protected override async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                await stream.WriteAsync("* OK [CAPABILITY IMAP4rev1] Refusing IMAP server ready\r\n"u8.ToArray(), Stopping);
                while (await reader.ReadLineAsync(Stopping) is { } line)
                {
                    var tag = line.Split(' ', 2)[0];
                    if (line.Contains(" LOGIN ", StringComparison.OrdinalIgnoreCase))
                    {
                        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{tag} NO [AUTHENTICATIONFAILED] "), Stopping);
                        await stream.WriteAsync(refusal, Stopping);
                        await stream.WriteAsync("\r\n"u8.ToArray(), Stopping);
                    }
                    else if (line.Contains(" LOGOUT", StringComparison.OrdinalIgnoreCase))
                    {
                        await stream.WriteAsync(Encoding.ASCII.GetBytes($"* BYE\r\n{tag} OK LOGOUT done\r\n"), Stopping);
                        return;
                    }
                    else
                    {
                        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{tag} BAD not here\r\n"), Stopping);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }
}
