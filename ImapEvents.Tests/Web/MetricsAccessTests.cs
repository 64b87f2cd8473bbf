using System.Net;
using ImapEvents.Web.Operations;

namespace ImapEvents.Tests.Web;

public sealed class MetricsAccessTests
{
    private const string Token = "scrape-token-0123456789";

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public void WithoutAToken_ThisMachine_IsAnswered(string address) =>
        Assert.Equal(MetricsAccessDecision.Allowed, MetricsAccess.Decide(IPAddress.Parse(address), authorization: null, configuredToken: null));

    [Theory]
    [InlineData("10.0.0.5")]
    [InlineData("192.168.1.20")]
    [InlineData("203.0.113.7")]
    [InlineData("::ffff:10.0.0.5")]
    [InlineData("fe80::1")]
    public void WithoutAToken_AnyOtherAddress_IsForbidden(string address) =>
        Assert.Equal(MetricsAccessDecision.Forbidden, MetricsAccess.Decide(IPAddress.Parse(address), authorization: null, configuredToken: ""));

    [Fact]
    public void WithoutAToken_AnUnknownAddress_IsForbidden() =>
        Assert.Equal(MetricsAccessDecision.Forbidden, MetricsAccess.Decide(remoteAddress: null, authorization: null, configuredToken: null));

    [Fact]
    public void WithoutAToken_SendingOne_OpensNothing() =>
        Assert.Equal(MetricsAccessDecision.Forbidden, MetricsAccess.Decide(IPAddress.Parse("203.0.113.7"), $"Bearer {Token}", configuredToken: "  "));

    [Theory]
    [InlineData("203.0.113.7", "Bearer " + Token)]
    [InlineData("127.0.0.1", "Bearer " + Token)]
    [InlineData("203.0.113.7", "bearer " + Token)]
    [InlineData(null, "Bearer  " + Token + " ")]
    public void WithAToken_ItIsAnsweredFromAnywhere(string? address, string authorization) =>
        Assert.Equal(MetricsAccessDecision.Allowed, MetricsAccess.Decide(address is null ? null : IPAddress.Parse(address), authorization, Token));

    [Theory]
    [InlineData("127.0.0.1", null)]
    [InlineData("203.0.113.7", null)]
    [InlineData("203.0.113.7", "Bearer")]
    [InlineData("203.0.113.7", "Bearer wrong-token")]
    [InlineData("203.0.113.7", "Bearer " + Token + "x")]
    [InlineData("203.0.113.7", "Basic " + Token)]
    [InlineData("203.0.113.7", Token)]
    public void WithAToken_EveryRequestWithoutIt_IsUnauthorized_ThisMachineToo(string address, string? authorization) =>
        Assert.Equal(MetricsAccessDecision.Unauthorized, MetricsAccess.Decide(IPAddress.Parse(address), authorization, Token));
}
