using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ImapEvents.Tests.TestSupport;

/// <summary>Accepts TCP connections on loopback and then says nothing, like a hung server.</summary>
public sealed class SilentListener : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> accepted = [];
    private readonly CancellationTokenSource stop = new();
    private readonly Task acceptLoop;

    public SilentListener()
    {
        listener.Start();
        acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

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

    private async Task AcceptAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                lock (accepted)
                {
                    accepted.Add(client);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await acceptLoop;
        lock (accepted)
        {
            accepted.ForEach(c => c.Dispose());
        }

        stop.Dispose();
    }
}

/// <summary>
/// A loopback proxy in front of the real IMAP server that cuts the connection the moment the client
/// asks for a message body: the network failing in the middle of a download.
/// </summary>
public sealed class CuttingProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly string targetHost;
    private readonly int targetPort;
    private readonly CancellationTokenSource stop = new();
    private readonly Task acceptLoop;

    public CuttingProxy(string targetHost, int targetPort)
    {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        listener.Start();
        acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public int Cuts { get; private set; }

    private async Task AcceptAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                _ = RelayAsync(client);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            await server.ConnectAsync(targetHost, targetPort);
            var fromServer = server.GetStream().CopyToAsync(client.GetStream(), stop.Token);
            var buffer = new byte[8192];
            var clientStream = client.GetStream();
            try
            {
                int read;
                while ((read = await clientStream.ReadAsync(buffer, stop.Token)) > 0)
                {
                    var text = Encoding.ASCII.GetString(buffer, 0, read);
                    if (text.Contains("FETCH", StringComparison.OrdinalIgnoreCase) && text.Contains("BODY", StringComparison.OrdinalIgnoreCase))
                    {
                        Cuts++;
                        client.Client.LingerState = new LingerOption(true, 0); // a reset, as when a route dies
                        return;
                    }

                    await server.GetStream().WriteAsync(buffer.AsMemory(0, read), stop.Token);
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

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await acceptLoop;
        stop.Dispose();
    }

    /// <summary>A loopback port where nothing listens.</summary>
    public static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
