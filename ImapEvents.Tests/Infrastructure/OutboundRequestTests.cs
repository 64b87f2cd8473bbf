using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Providers;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Providers;
using ImapEvents.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>
/// Where action requests may go, checked on the address actually connected to: through the real sender,
/// its delivery job and the provider Test button, against real loopback receivers.
/// </summary>
public sealed class OutboundRequestTests(ActionFixture fixture) : IClassFixture<ActionFixture>
{
    private static TemplateValues Values()
    {
        var sample = SampleEvents.LoginFailed(DateTimeOffset.UtcNow, "Support", "Authentication failed.");
        return new TemplateValues(sample, "Outbound", 0);
    }

    private static RuleAction Page(string url)
    {
        var page = RuleAction.Create(ActionKind.CallWebPage);
        page.Url = url;
        return page;
    }

    /// <summary>Another instance on the same database with these outbound settings, as an operator would start it.</summary>
    private ImapEventsApp InstanceWith(string key, string value) =>
        new(fixture.ConnectionString, new Dictionary<string, string?>(fixture.Settings) { [key] = value });

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/", "169.254.169.254")]
    [InlineData("http://2852039166/latest/meta-data/", "169.254.169.254")]
    [InlineData("http://0xA9FEA9FE/latest/meta-data/", "169.254.169.254")]
    [InlineData("http://[::ffff:169.254.169.254]/latest/meta-data/", "::ffff:169.254.169.254")]
    [InlineData("http://[fe80::1]/", "fe80::1")]
    [InlineData("http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254")]
    [InlineData("http://100.100.100.200/latest/meta-data/", "100.100.100.200")]
    public async Task AMetadataAddress_IsRefusedForGood_InEverySpelling_BeforeAnyConnection(string url, string address)
    {
        var result = await fixture.Service<HttpActionSender>().CallWebPageAsync(Page(url), Values(), default);

        Assert.False(result.Succeeded);
        Assert.Null(result.ResponseCode);
        Assert.Equal($"Refused: {address} is a link-local / cloud metadata address, which ImapEvents never calls.", result.Error);
        Assert.True(result.Permanent);
    }

    [Fact]
    public async Task LoopbackReceivers_KeepWorking_ByDefault()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var port = new Uri(receiver.BaseUrl).Port;

        var byAddress = await fixture.Service<HttpActionSender>().CallWebPageAsync(Page(receiver.Url("/by-address")), Values(), default);
        var byName = await fixture.Service<HttpActionSender>().CallWebPageAsync(Page($"http://localhost:{port}/by-name"), Values(), default);

        Assert.True(byAddress.Succeeded, byAddress.Error);
        Assert.True(byName.Succeeded, byName.Error);
        Assert.Equal(["/by-address", "/by-name"], receiver.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task WithDenyPrivateNetworks_ANameThatResolvesToLoopback_IsRefused_AndTheDeliveryFailsAtOnce()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        // Saved as any administrator would: the name says nothing about where it leads until it is resolved.
        await fixture.SaveRuleAsync(user, Page($"http://localhost:{new Uri(receiver.BaseUrl).Port}/hook"));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        await using var strict = InstanceWith("Outbound:DenyPrivateNetworks", "true");

        await strict.Services.GetRequiredService<DeliveryJob>().RunAsync(delivery.Id, null, default);

        var failed = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Failed, failed.Status);
        Assert.Equal(1, failed.Attempts);
        Assert.Matches(@"^Refused: localhost resolves to (127\.0\.0\.1|::1), a private network address, and Outbound:DenyPrivateNetworks is on\.$", failed.LastError);
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task WithDenyPrivateNetworks_APrivateAddress_IsRefused_AndSaysWhichRule()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var strict = InstanceWith("Outbound:DenyPrivateNetworks", "true");

        var result = await strict.Services.GetRequiredService<HttpActionSender>().CallWebPageAsync(Page(receiver.Url("/hook")), Values(), default);

        Assert.Equal("Refused: 127.0.0.1 is a private network address and Outbound:DenyPrivateNetworks is on.", result.Error);
        Assert.True(result.Permanent);
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task WithAllowedHosts_OnlyThoseHostsAreCalled()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var port = new Uri(receiver.BaseUrl).Port;
        await using var restricted = InstanceWith("Outbound:AllowedHosts", "hooks.example.com; 127.0.0.1");
        var sender = restricted.Services.GetRequiredService<HttpActionSender>();

        var allowed = await sender.CallWebPageAsync(Page(receiver.Url("/allowed")), Values(), default);
        var other = await sender.CallWebPageAsync(Page($"http://localhost:{port}/other"), Values(), default);

        Assert.True(allowed.Succeeded, allowed.Error);
        Assert.Equal("Refused: localhost is not in Outbound:AllowedHosts.", other.Error);
        Assert.True(other.Permanent);
        Assert.Equal(["/allowed"], receiver.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task TheProviderTestButton_IsRefusedTheSameWay()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var strict = InstanceWith("Outbound:DenyPrivateNetworks", "true");
        var providers = strict.Services.GetRequiredService<ProviderAdministration>();
        var saved = await providers.SaveAsync(
            null, new ExternalProvider { Name = $"Internal {Guid.NewGuid():N}"[..20], Endpoint = receiver.Url("/events") }, 0, WebhookSecrets.Generate(), null, default);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Values));

        var result = await providers.TestAsync(saved.Id!.Value, default);

        Assert.Equal("Refused: 127.0.0.1 is a private network address and Outbound:DenyPrivateNetworks is on.", result.Error);
        Assert.Empty(receiver.Requests);
    }
}
