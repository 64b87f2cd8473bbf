using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Providers;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Providers;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Tests.Infrastructure;

public sealed class ExternalProviderTests(ActionFixture fixture) : IClassFixture<ActionFixture>
{
    private ProviderAdministration Providers => fixture.Service<ProviderAdministration>();

    private async Task<ExternalProvider> AddProviderAsync(string endpoint, string secret, string? headers = null, bool enabled = true)
    {
        var name = $"Provider {Guid.NewGuid():N}"[..20];
        var saved = await Providers.SaveAsync(null, new ExternalProvider { Name = name, Endpoint = endpoint, Enabled = enabled }, 0, secret, headers, default);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Select(e => $"{e.Key}: {e.Value}")));
        return (await Providers.GetAsync(saved.Id!.Value, default))!;
    }

    private static RuleAction Notify(Guid providerId)
    {
        var action = RuleAction.Create(ActionKind.NotifyExternalProvider);
        action.ProviderId = providerId;
        return action;
    }

    [Fact]
    public async Task AProvider_IsNotified_WithSignedJson_AndItsOwnHeaders()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var secret = WebhookSecrets.Generate();
        var provider = await AddProviderAsync(receiver.Url("/events"), secret, "Authorization: Bearer tenant-token-42\nX-Tenant: acme");
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Notify(provider.Id));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await fixture.RunJobAsync(delivery.Id);

        var request = await receiver.WaitForRequestAsync();
        Assert.Equal("/events", request.Path);
        Assert.Equal("Bearer tenant-token-42", request.Headers["Authorization"]);
        Assert.Equal("acme", request.Headers["X-Tenant"]);
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = $"{request.Headers["webhook-id"]}.{request.Headers["webhook-timestamp"]}.{request.Body}";
        Assert.Equal("v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(signed))), request.Headers["webhook-signature"]);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal(user, body.RootElement.GetProperty("data").GetProperty("loginUsername").GetString());
        Assert.False(body.RootElement.GetProperty("data").GetProperty("test").GetBoolean());
        Assert.Equal(delivery.Id.ToString(), request.Headers["webhook-id"]);
        Assert.Equal(request.Headers["webhook-id"], body.RootElement.GetProperty("data").GetProperty("deliveryId").GetString());
        Assert.Equal(DeliveryStatus.Delivered, (await fixture.DeliveryAsync(delivery.Id)).Status);

        Assert.Equal(["Authorization", "X-Tenant"], provider.HeaderNames);
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var stored = await db.Database.SqlQuery<string>($"SELECT row_to_json(p)::text AS \"Value\" FROM external_providers p WHERE \"Id\" = {provider.Id}").SingleAsync();
        Assert.DoesNotContain("tenant-token-42", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(secret["whsec_".Length..], stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheTestButton_SendsAnEventMarkedAsATest()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var provider = await AddProviderAsync(receiver.Url("/events"), WebhookSecrets.Generate());

        var result = await Providers.TestAsync(provider.Id, default);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(200, result.ResponseCode);
        using var body = JsonDocument.Parse((await receiver.WaitForRequestAsync()).Body);
        Assert.True(body.RootElement.GetProperty("data").GetProperty("test").GetBoolean());
    }

    [Fact]
    public async Task StoredHeaders_StayWithTheSchemeHostAndPort_TheyWereEnteredFor()
    {
        await using var first = await HttpReceiver.StartAsync();
        await using var second = await HttpReceiver.StartAsync();
        var provider = await AddProviderAsync(first.Url("/events"), WebhookSecrets.Generate(), "Authorization: Bearer for-the-first-host");
        ExternalProvider Draft(string endpoint) => new() { Name = provider.Name, Endpoint = endpoint, Enabled = true };
        async Task<uint> VersionAsync() => (await Providers.GetAsync(provider.Id, default))!.Version;

        // Another port (another receiver): the stored values do not go along.
        var moved = await Providers.SaveAsync(provider.Id, Draft(second.Url("/events")), await VersionAsync(), null, null, default);
        Assert.Equal(
            "Enter the headers again, or remove them: stored header values are only sent to the scheme, host and port they were entered for.",
            moved.Errors["Headers"]);
        Assert.Equal(first.Url("/events"), (await Providers.GetAsync(provider.Id, default))!.Endpoint);

        // Another path on the same host and port: they stay.
        Assert.True((await Providers.SaveAsync(provider.Id, Draft(first.Url("/v2/events")), await VersionAsync(), null, null, default)).Succeeded);
        Assert.True((await Providers.TestAsync(provider.Id, default)).Succeeded);
        Assert.Equal("Bearer for-the-first-host", (await first.WaitForRequestAsync()).Headers["Authorization"]);

        // Typed again for the new receiver: only the new values reach it.
        var retyped = await Providers.SaveAsync(provider.Id, Draft(second.Url("/events")), await VersionAsync(), null, "Authorization: Bearer for-the-second-host", default);
        Assert.True(retyped.Succeeded, string.Join("; ", retyped.Errors.Values));
        Assert.True((await Providers.TestAsync(provider.Id, default)).Succeeded);
        Assert.Equal("Bearer for-the-second-host", (await second.WaitForRequestAsync()).Headers["Authorization"]);
        Assert.Single(second.Requests);
    }

    [Theory]
    [InlineData("https://alerts.example.net/events")]
    [InlineData("http://alerts.example.com/events")]
    [InlineData("https://alerts.example.com:8443/events")]
    public async Task StoredHeaders_MustBeEnteredAgainOrRemoved_WhenTheEndpointMovesElsewhere(string elsewhere)
    {
        var provider = await AddProviderAsync("https://alerts.example.com/events", WebhookSecrets.Generate(), "X-Api-Key: bound-to-alerts");
        var moved = new ExternalProvider { Name = provider.Name, Endpoint = elsewhere, Enabled = true };

        var refused = await Providers.SaveAsync(provider.Id, moved, provider.Version, null, null, default);
        var removed = await Providers.SaveAsync(provider.Id, moved, provider.Version, null, "", default);

        Assert.StartsWith("Enter the headers again, or remove them", refused.Errors["Headers"], StringComparison.Ordinal);
        Assert.True(removed.Succeeded, string.Join("; ", removed.Errors.Values));
        var stored = (await Providers.GetAsync(provider.Id, default))!;
        Assert.Equal(elsewhere, stored.Endpoint);
        Assert.Null(stored.ProtectedHeaders);
        Assert.Empty(stored.HeaderNames);
    }

    [Fact]
    public async Task ADisabledProvider_FailsItsDeliveries_WithWhatToDo()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var provider = await AddProviderAsync(receiver.Url("/events"), WebhookSecrets.Generate(), enabled: false);
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Notify(provider.Id));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await fixture.RunJobAsync(delivery.Id);

        var failed = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Failed, failed.Status);
        Assert.Equal($"The provider {provider.Name} is disabled. Enable it on the External Providers page, then retry the job.", failed.LastError);
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task AProviderInUse_CannotBeDeleted_UntilNoRuleNotifiesIt()
    {
        var provider = await AddProviderAsync("https://alerts.example.com/in-use", WebhookSecrets.Generate());
        var user = ActionFixture.NewUser();
        var rule = await fixture.SaveRuleAsync(user, Notify(provider.Id));

        var refusal = await Providers.DeleteAsync(provider.Id, default);

        Assert.Equal($"Rules notify this provider: {rule.Name}. Remove it from their actions first, or disable the provider.", refusal);
        var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);
        Assert.True(await fixture.Service<RuleAdministration>().DeleteAsync(admin.Id, rule.Id, default));
        Assert.Null(await Providers.DeleteAsync(provider.Id, default));
        Assert.Null(await Providers.GetAsync(provider.Id, default));
    }

    [Fact]
    public async Task ProviderForms_AreValidatedByLabel()
    {
        var existing = await AddProviderAsync("https://alerts.example.com/a", WebhookSecrets.Generate());

        var result = await Providers.SaveAsync(
            null, new ExternalProvider { Name = existing.Name.ToUpperInvariant(), Endpoint = "alerts.example.com" }, 0, null, "webhook-signature: forged", default);

        Assert.StartsWith("A provider named", result.Errors["Name"], StringComparison.Ordinal);
        Assert.StartsWith("Enter a full http:// or https:// address", result.Errors["Endpoint"], StringComparison.Ordinal);
        Assert.StartsWith("Generate a signing secret", result.Errors["Signing Secret"], StringComparison.Ordinal);
        Assert.Equal("webhook-signature is set by ImapEvents itself; remove that line.", result.Errors["Headers"]);
    }

    [Fact]
    public async Task Exports_NameTheProvider_AndImportsFindItByName()
    {
        var provider = await AddProviderAsync("https://alerts.example.com/export", WebhookSecrets.Generate());
        var user = ActionFixture.NewUser();
        var rule = await fixture.SaveRuleAsync(user, Notify(provider.Id));
        var rules = fixture.Service<RuleAdministration>();
        var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);

        var export = JsonSerializer.Deserialize<RuleExport>(await rules.ExportAsync(default), RuleDocument.Json)!;
        var document = export.Rules.Single(r => r.Name == rule.Name);
        Assert.Equal(provider.Name, Assert.Single(document.Actions).Provider);

        var imported = await rules.ImportAsync(admin.Id, JsonSerializer.Serialize(export with { Rules = [document with { Name = rule.Name + " (imported)" }] }, RuleDocument.Json), ExistingRules.KeepExisting, default);
        Assert.True(imported.Succeeded, string.Join("; ", imported.Errors));
        var copy = (await rules.ListAsync(rule.Name + " (imported)", default)).Single();
        Assert.Equal(provider.Id, copy.Actions.Single().ProviderId);

        var unknown = document with { Actions = [document.Actions[0] with { Provider = "Nobody" }] };
        var refused = await rules.ImportAsync(admin.Id, JsonSerializer.Serialize(export with { Rules = [unknown] }, RuleDocument.Json), ExistingRules.KeepExisting, default);
        Assert.Contains(refused.Errors, e => e.Contains("Action 1: Provider: There is no external provider named \"Nobody\"", StringComparison.Ordinal));
    }
}
