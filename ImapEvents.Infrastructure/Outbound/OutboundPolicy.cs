using System.Net;
using System.Net.Sockets;
using ImapEvents.Core.Outbound;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Outbound;

/// <summary>Why a request was not sent: which outbound rule refused it, in words for the delivery's error.</summary>
public sealed class OutboundRefusedException(string message) : Exception(message);

/// <summary>
/// The one place that decides where action requests may go. It is the connect step of their HTTP handler,
/// so it judges the address actually connected to: every address a name resolves to is checked, and the
/// socket connects to those checked addresses, so a DNS answer that changes in between (rebinding) cannot
/// lead elsewhere. Link-local and cloud metadata addresses are refused always; private networks when
/// <see cref="OutboundOptions.DenyPrivateNetworks"/> is on; hosts outside <see cref="OutboundOptions.AllowedHosts"/> when it is set.
/// </summary>
public sealed class OutboundPolicy(IOptions<OutboundOptions> options)
{
    /// <summary>The handler's connect step (<see cref="SocketsHttpHandler.ConnectCallback"/>).</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = await AllowedAddressesAsync(host, cancellationToken);
        Exception? lastFailure = null;
        foreach (var address in addresses)
        {
            // A socket per attempt: on Linux a socket cannot connect again after a failed attempt.
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                lastFailure = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw lastFailure ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>The addresses <paramref name="host"/> may be reached at; throws <see cref="OutboundRefusedException"/> when a rule refuses it.</summary>
    public async Task<IReadOnlyList<IPAddress>> AllowedAddressesAsync(string host, CancellationToken cancellationToken)
    {
        var name = host.Trim('[', ']');
        if (HostRefusal(name) is { } notAllowed)
        {
            throw new OutboundRefusedException(notAllowed);
        }

        if (OutboundAddress.Literal(host) is { } literal)
        {
            return AddressRefusal(literal, resolvedFrom: null) is { } refusal ? throw new OutboundRefusedException(refusal) : [literal];
        }

        var addresses = await Dns.GetHostAddressesAsync(name, cancellationToken);
        // Every address, not just the first: a name that also leads somewhere refused is refused.
        foreach (var address in addresses)
        {
            if (AddressRefusal(address, resolvedFrom: name) is { } refusal)
            {
                throw new OutboundRefusedException(refusal);
            }
        }

        return addresses;
    }

    /// <summary>Why <see cref="OutboundOptions.AllowedHosts"/> refuses this host, or null.</summary>
    public string? HostRefusal(string host)
    {
        var allowed = options.Value.AllowedHostList;
        if (allowed.Count == 0 || allowed.Any(entry => Matches(entry, host)))
        {
            return null;
        }

        return $"Refused: {host} is not in Outbound:AllowedHosts.";
    }

    /// <summary>Why this address is refused, or null.</summary>
    /// <param name="resolvedFrom">The DNS name it came from, so the message can say so; null for an address in the URL itself.</param>
    public string? AddressRefusal(IPAddress address, string? resolvedFrom)
    {
        var kind = OutboundAddress.Classify(address);
        var what = resolvedFrom is null ? $"{address} is" : $"{resolvedFrom} resolves to {address},";
        return kind switch
        {
            AddressKind.LinkLocalOrMetadata => $"Refused: {what} {OutboundAddress.Describe(kind)}, which ImapEvents never calls.",
            AddressKind.PrivateNetwork when options.Value.DenyPrivateNetworks =>
                $"Refused: {what} {OutboundAddress.Describe(kind)}{(resolvedFrom is null ? "" : ",")} and Outbound:DenyPrivateNetworks is on.",
            AddressKind.PrivateNetwork or AddressKind.Public => null,
        };
    }

    /// <summary>The refusal behind a failed request, if a rule refused it (the handler wraps what its connect step throws).</summary>
    public static string? RefusalIn(Exception exception)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is OutboundRefusedException refused)
            {
                return refused.Message;
            }
        }

        return null;
    }

    private static bool Matches(string entry, string host) =>
        entry.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(entry[1..], StringComparison.OrdinalIgnoreCase) && host.Length > entry.Length - 1
            : string.Equals(entry, host, StringComparison.OrdinalIgnoreCase)
                || (IPAddress.TryParse(entry, out var allowed) && OutboundAddress.Literal(host) is { } literal && allowed.Equals(literal));
}
