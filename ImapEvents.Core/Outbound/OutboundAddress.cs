using System.Net;
using System.Net.Sockets;

namespace ImapEvents.Core.Outbound;

/// <summary>What an address an action would call is, for the outbound rules.</summary>
public enum AddressKind
{
    /// <summary>Anywhere else: the internet, or a network this rule set has no opinion on.</summary>
    Public,

    /// <summary>This machine or a private network: loopback, RFC 1918, CGNAT, unique-local IPv6, "this network".</summary>
    PrivateNetwork,

    /// <summary>Link-local and cloud instance metadata: where a server's own credentials can be read. Never called.</summary>
    LinkLocalOrMetadata,
}

/// <summary>Classifies IP addresses however they are spelled (decimal, hex, IPv4-mapped IPv6, NAT64).</summary>
public static class OutboundAddress
{
    /// <summary>AWS's IPv6 instance metadata endpoint; inside fc00::/7, so named before the private ranges.</summary>
    private static readonly IPAddress AwsMetadataV6 = IPAddress.Parse("fd00:ec2::254");

    /// <summary>Alibaba Cloud's metadata endpoint; inside CGNAT 100.64.0.0/10, so named before the private ranges.</summary>
    private static readonly IPAddress AlibabaMetadata = IPAddress.Parse("100.100.100.200");

    /// <summary>The address a URL's host names literally (192.0.2.1, [::1], 3221225985, 0xC0000201), or null for a DNS name.</summary>
    public static IPAddress? Literal(string host)
    {
        var text = host.Trim();
        if (text.StartsWith('[') && text.EndsWith(']'))
        {
            text = text[1..^1];
        }

        else
        {
            // A fully qualified spelling ("169.254.169.254.") names the same address.
            text = text.TrimEnd('.');
        }

        // A zone in a URL is written %25eth0.
        text = text.Replace("%25", "%", StringComparison.Ordinal);
        return IPAddress.TryParse(text, out var address) ? address : null;
    }

    public static AddressKind Classify(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return Classify(address.MapToIPv4());
        }

        var bytes = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return ClassifyV4(bytes);
        }

        if (address.Equals(AwsMetadataV6) || (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80))
        {
            return AddressKind.LinkLocalOrMetadata;
        }

        // NAT64 (64:ff9b::/96) and the old IPv4-compatible form (::a.b.c.d) carry an IPv4 address a gateway may reach.
        if (IsNat64(bytes) || (bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback)))
        {
            return ClassifyV4(bytes.AsSpan(12));
        }

        // 6to4 (2002:AABB:CCDD::/48) routes to the IPv4 address AA.BB.CC.DD through a relay.
        if (bytes[0] == 0x20 && bytes[1] == 0x02 && ClassifyV4(bytes.AsSpan(2, 4)) is not AddressKind.Public and var embedded)
        {
            return embedded;
        }

        return address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6Loopback)
            || (bytes[0] & 0xfe) == 0xfc // unique local fc00::/7
            || (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0xc0) // site-local fec0::/10, deprecated but routable inside a site
            ? AddressKind.PrivateNetwork
            : AddressKind.Public;
    }

    /// <summary>How errors name the kind, after the address.</summary>
    public static string Describe(AddressKind kind) => kind switch
    {
        AddressKind.Public => "a public address",
        AddressKind.PrivateNetwork => "a private network address",
        AddressKind.LinkLocalOrMetadata => "a link-local / cloud metadata address",
    };

    private static AddressKind ClassifyV4(ReadOnlySpan<byte> b)
    {
        if ((b[0] == 169 && b[1] == 254) || new IPAddress(b).Equals(AlibabaMetadata))
        {
            return AddressKind.LinkLocalOrMetadata;
        }

        return b[0] is 0 or 10 or 127 // "this network" (0.0.0.0 reaches this machine), RFC 1918, loopback
            || (b[0] == 172 && (b[1] & 0xf0) == 16)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 100 && (b[1] & 0xc0) == 64) // CGNAT 100.64.0.0/10
            ? AddressKind.PrivateNetwork
            : AddressKind.Public;
    }

    private static bool IsNat64(byte[] bytes) =>
        bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b && bytes.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0;
}
