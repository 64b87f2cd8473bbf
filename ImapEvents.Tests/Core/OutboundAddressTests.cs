using ImapEvents.Core.Actions;
using ImapEvents.Core.Outbound;
using ImapEvents.Infrastructure.Outbound;
using Microsoft.Extensions.Options;

namespace ImapEvents.Tests.Core;

public sealed class OutboundAddressTests
{
    public static TheoryData<string> MetadataSpellings =>
    [
        "http://169.254.169.254/",
        "http://2852039166/",
        "http://0xA9FEA9FE/",
        "http://0251.0376.0251.0376/",
        "http://169.254.43518/",
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[fe80::1]/",
        "http://[fe80::1%25eth0]/",
        "http://[febf:ffff::1]/",
        "http://[fd00:ec2::254]/",
        "http://100.100.100.200/",
        "http://169.254.1.1:8080/",
        "http://169.254.169.254.:80/latest",
        "http://[2002:a9fe:a9fe::]/",
    ];

    private static AddressKind KindOf(string url) =>
        OutboundAddress.Classify(OutboundAddress.Literal(new Uri(url).Host) ?? throw new InvalidOperationException($"{url} names no address"));

    [Theory]
    [MemberData(nameof(MetadataSpellings))]
    public void LinkLocalAndMetadataAddresses_AreRecognised_InEverySpelling(string url)
    {
        Assert.Equal(AddressKind.LinkLocalOrMetadata, KindOf(url));
    }

    [Theory]
    [MemberData(nameof(MetadataSpellings))]
    public void TheEditor_RefusesALiteralMetadataAddress_NextToTheUrl(string url)
    {
        Assert.EndsWith("is a link-local / cloud metadata address, which ImapEvents never calls. Enter the receiver's own address.", ActionValidation.UrlProblem(url), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1/")]
    [InlineData("http://127.8.9.10/")]
    [InlineData("http://2130706433/")]
    [InlineData("http://0.0.0.0/")]
    [InlineData("http://10.0.0.5/")]
    [InlineData("http://172.16.0.1/")]
    [InlineData("http://172.31.255.255/")]
    [InlineData("http://192.168.1.20/")]
    [InlineData("http://100.64.0.1/")]
    [InlineData("http://100.127.255.254/")]
    [InlineData("http://[::1]/")]
    [InlineData("http://[::]/")]
    [InlineData("http://[fd12:3456::1]/")]
    [InlineData("http://[fc00::1]/")]
    [InlineData("http://[fec0::1]/")]
    [InlineData("http://[::ffff:10.0.0.5]/")]
    [InlineData("http://[::ffff:127.0.0.1]/")]
    [InlineData("http://[2002:7f00:1::]/")]
    [InlineData("http://10.0.0.5./")]
    public void PrivateNetworkAddresses_AreRecognised(string url)
    {
        Assert.Equal(AddressKind.PrivateNetwork, KindOf(url));
        Assert.Null(ActionValidation.UrlProblem(url));
    }

    [Theory]
    [InlineData("http://93.184.215.14/")]
    [InlineData("http://172.32.0.1/")]
    [InlineData("http://172.15.255.255/")]
    [InlineData("http://100.128.0.1/")]
    [InlineData("http://100.63.255.255/")]
    [InlineData("http://169.253.255.255/")]
    [InlineData("http://[2606:4700:4700::1111]/")]
    [InlineData("http://[2002:5db8:d70e::1]/")]
    public void OtherAddresses_ArePublic(string url)
    {
        Assert.Equal(AddressKind.Public, KindOf(url));
    }

    [Fact]
    public void ADnsName_IsNoLiteralAddress_SoItIsJudgedWhenItIsResolved()
    {
        Assert.Null(OutboundAddress.Literal("metadata.google.internal"));
        Assert.Null(ActionValidation.UrlProblem("http://metadata.google.internal/computeMetadata/v1/"));
    }

    [Fact]
    public void TheRefusal_SaysWhichRuleRefused()
    {
        var strict = new OutboundPolicy(Options.Create(new OutboundOptions { DenyPrivateNetworks = true, AllowedHosts = "hooks.example.com; *.alerts.example.com" }));
        var lenient = new OutboundPolicy(Options.Create(new OutboundOptions()));

        Assert.Equal("Refused: 169.254.169.254 is a link-local / cloud metadata address, which ImapEvents never calls.",
            lenient.AddressRefusal(System.Net.IPAddress.Parse("169.254.169.254"), resolvedFrom: null));
        Assert.Equal("Refused: metadata.internal resolves to 169.254.169.254, a link-local / cloud metadata address, which ImapEvents never calls.",
            lenient.AddressRefusal(System.Net.IPAddress.Parse("169.254.169.254"), resolvedFrom: "metadata.internal"));
        Assert.Null(lenient.AddressRefusal(System.Net.IPAddress.Parse("10.0.0.5"), resolvedFrom: null));
        Assert.Equal("Refused: 10.0.0.5 is a private network address and Outbound:DenyPrivateNetworks is on.",
            strict.AddressRefusal(System.Net.IPAddress.Parse("10.0.0.5"), resolvedFrom: null));
        Assert.Null(strict.HostRefusal("HOOKS.example.com"));
        Assert.Null(strict.HostRefusal("eu.alerts.example.com"));
        Assert.Equal("Refused: alerts.example.com is not in Outbound:AllowedHosts.", strict.HostRefusal("alerts.example.com"));
        Assert.Equal("Refused: evil-hooks.example.com is not in Outbound:AllowedHosts.", strict.HostRefusal("evil-hooks.example.com"));
        Assert.Null(lenient.HostRefusal("anything.example.org"));
    }
}
