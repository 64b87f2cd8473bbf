using System.Text.Json;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>
/// A key written into an action's URL (<c>?apikey=</c>, a Slack incoming-webhook path) is a secret like a
/// webhook signing secret: sent to the receiver, kept only as ciphertext, and left out of exports and the history.
/// </summary>
public sealed class UrlCredentialTests(ActionFixture fixture) : IClassFixture<ActionFixture>
{
    private RuleAdministration Rules => fixture.Service<RuleAdministration>();

    private static RuleAction Page(string url)
    {
        var page = RuleAction.Create(ActionKind.CallWebPage);
        page.Url = url;
        return page;
    }

    private async Task<string> StoredActionsAsync(Guid ruleId)
    {
        await using var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Database.SqlQuery<string>($"SELECT \"Actions\"::text AS \"Value\" FROM event_rules WHERE \"Id\" = {ruleId}").SingleAsync();
    }

    private async Task<string> AuditTextAsync(Guid ruleId) =>
        string.Join("\n", (await Rules.AuditTrailAsync(ruleId, default)).Select(a => a.Before + a.After));

    /// <summary>The export file of this rule only: the other tests of the class add rules of their own.</summary>
    private async Task<(RuleExport Export, RuleDocument Document)> ExportOfAsync(string name)
    {
        var export = JsonSerializer.Deserialize<RuleExport>(await Rules.ExportAsync(default), RuleDocument.Json)!;
        return (export with { Rules = export.Rules.Where(r => r.Name == name).ToList() }, export.Rules.Single(r => r.Name == name));
    }

    [Fact]
    public async Task AKeyInAUrl_IsSentToTheReceiver_ButStoredOnlyEncrypted_AndLeftOutOfExportsAndTheHistory()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        var rule = await fixture.SaveRuleAsync(user, Page(receiver.Url("/notify?apikey=k3y-0f-the-receiver&team=ops")));

        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        await fixture.RunJobAsync(delivery.Id);

        Assert.StartsWith("?apikey=k3y-0f-the-receiver&team=ops&", (await receiver.WaitForRequestAsync()).Query, StringComparison.Ordinal);
        Assert.Equal(receiver.Url("/notify?apikey=***&team=ops"), rule.Actions.Single().Url);
        Assert.DoesNotContain("k3y-0f-the-receiver", await StoredActionsAsync(rule.Id), StringComparison.Ordinal);
        Assert.DoesNotContain("k3y-0f-the-receiver", await Rules.ExportAsync(default), StringComparison.Ordinal);
        Assert.DoesNotContain("k3y-0f-the-receiver", await AuditTextAsync(rule.Id), StringComparison.Ordinal);
        Assert.Contains("apikey=***", await AuditTextAsync(rule.Id), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASlackIncomingWebhookUrl_IsASecretAsAWhole()
    {
        var user = ActionFixture.NewUser();
        var rule = await fixture.SaveRuleAsync(user, ActionFixture.Webhook("https://hooks.slack.com/services/T0ACME/B0ALERTS/xoxbSlackPathSecret"));

        Assert.Equal("https://hooks.slack.com/services/***", rule.Actions.Single().Url);
        Assert.DoesNotContain("xoxbSlackPathSecret", await StoredActionsAsync(rule.Id), StringComparison.Ordinal);
        Assert.Equal("https://hooks.slack.com/services/***", Assert.Single((await ExportOfAsync(rule.Name)).Document.Actions).Url);
        Assert.DoesNotContain("xoxbSlackPathSecret", await AuditTextAsync(rule.Id), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AKeyInAUrlPath_IsNeverWrittenToTheLog_WhenItIsCalled()
    {
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, ActionFixture.Webhook("https://hooks.slack.com/services/T0ACME/B0LOGS/xoxbLoggedPathSecret"));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        // Whether or not this machine reaches Slack, the request was made, and HttpClient's own logging names its URL.
        await Record.ExceptionAsync(() => fixture.RunJobAsync(delivery.Id));

        Assert.NotEmpty((await fixture.DeliveryAsync(delivery.Id)).LastError ?? "sent");
        Assert.DoesNotContain(fixture.App.Logs.Lines, line => line.Contains("xoxbLoggedPathSecret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EditingARule_KeepsTheKey_OnlyWhileItsUrlIsUnchanged()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        var rule = await fixture.SaveRuleAsync(user, Page(receiver.Url("/notify?token=first-key")));
        var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);

        // Unchanged URL (shown masked): the key stays.
        rule.ServerPort = 993;
        Assert.True((await Rules.UpdateAsync(admin.Id, rule.Id, rule, rule.Version, default)).Succeeded);
        var kept = (await Rules.GetAsync(rule.Id, default))!;

        // Another address with the mask still in it: the key is not taken there.
        kept.Actions[0].Url = receiver.Url("/elsewhere?token=***");
        var moved = await Rules.UpdateAsync(admin.Id, rule.Id, kept, kept.Version, default);
        Assert.Equal(
            "Type the whole URL again, with its key: a stored key is only sent to the URL it was entered with.",
            moved.Errors[ActionValidation.Key(0, ActionValidation.Url)]);

        kept.Actions[0].Url = receiver.Url("/elsewhere?token=second-key");
        Assert.True((await Rules.UpdateAsync(admin.Id, rule.Id, kept, kept.Version, default)).Succeeded);
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        await fixture.RunJobAsync(delivery.Id);
        var request = await receiver.WaitForRequestAsync();
        Assert.Equal("/elsewhere", request.Path);
        Assert.StartsWith("?token=second-key&", request.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExportThenImport_KeepsTheKeyWhenReplacingTheSameUrl_AndAsksForItOtherwise()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var user = ActionFixture.NewUser();
        var rule = await fixture.SaveRuleAsync(user, Page(receiver.Url("/notify?apikey=kept-key")));
        var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);
        var (export, document) = await ExportOfAsync(rule.Name);

        var replaced = await Rules.ImportAsync(admin.Id, JsonSerializer.Serialize(export, RuleDocument.Json), ExistingRules.ReplaceExisting, default);
        var copyName = rule.Name + " (copy)";
        var otherUser = ActionFixture.NewUser();
        var added = await Rules.ImportAsync(
            admin.Id, JsonSerializer.Serialize(export with { Rules = [document with { Name = copyName, LoginUsername = otherUser }] }, RuleDocument.Json), ExistingRules.KeepExisting, default);

        Assert.True(replaced.Succeeded, string.Join("; ", replaced.Errors));
        Assert.True(added.Succeeded, string.Join("; ", added.Errors));
        Assert.Contains(added.Notices, n => n.Contains($"“{copyName}” (action 1)", StringComparison.Ordinal) && n.Contains("type the whole URL again", StringComparison.OrdinalIgnoreCase));

        // The replaced rule still calls with its key.
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        await fixture.RunJobAsync(delivery.Id);
        Assert.StartsWith("?apikey=kept-key&", (await receiver.WaitForRequestAsync()).Query, StringComparison.Ordinal);

        // The added copy has no key to send, and says what to do instead of calling without it.
        var copyDelivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(otherUser)).Id));
        await fixture.RunJobAsync(copyDelivery.Id);
        var failed = await fixture.DeliveryAsync(copyDelivery.Id);
        Assert.Equal(DeliveryStatus.Failed, failed.Status);
        Assert.StartsWith("The key in this action's URL is not stored with it", failed.LastError, StringComparison.Ordinal);
        Assert.Single(receiver.Requests);
    }
}
