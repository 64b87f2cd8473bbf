using ImapEvents.Core.Actions;

namespace ImapEvents.Tests.Core;

public sealed class UrlCredentialsTests
{
    [Theory]
    [InlineData("https://api.example.com/notify?apikey=abc123&team=ops", "https://api.example.com/notify?apikey=***&team=ops", "apikey")]
    [InlineData("https://api.example.com/notify?team=ops&Token=abc&SIG=def#top", "https://api.example.com/notify?team=ops&Token=***&SIG=***#top", "Token, SIG")]
    [InlineData("https://func.example.net/api/alert?code=Zm9vYmFy==", "https://func.example.net/api/alert?code=***", "code")]
    [InlineData("https://hooks.slack.com/services/T0ACME/B0ALERTS/xoxbSecret", "https://hooks.slack.com/services/***", "the Slack webhook path")]
    [InlineData("https://HOOKS.SLACK.COM/workflows/T0/A0/123/abc", "https://HOOKS.SLACK.COM/workflows/***", "the Slack webhook path")]
    [InlineData("https://discord.com/api/webhooks/123456/tokenpart", "https://discord.com/api/webhooks/***", "the Discord webhook path")]
    [InlineData("https://acme.webhook.office.com/webhookb2/abc@def/IncomingWebhook/ghi", "https://acme.webhook.office.com/webhookb2/***", "the Teams webhook path")]
    [InlineData("https://ops:pa55word@hooks.example.com/imap?apikey=k", "https://***@hooks.example.com/imap?apikey=***", "the user name and password, apikey")]
    public void KeysInAUrl_AreFound_AndMasked(string url, string masked, string names)
    {
        Assert.Equal(masked, UrlCredentials.Masked(url));
        Assert.Equal(names, string.Join(", ", UrlCredentials.InClear(url)));
        Assert.False(UrlCredentials.HasMaskedKey(url));
        Assert.True(UrlCredentials.HasMaskedKey(masked));
        Assert.Empty(UrlCredentials.InClear(masked));
        Assert.Equal(masked, UrlCredentials.Masked(masked));
        Assert.Null(ActionValidation.UrlProblem(masked));
    }

    [Theory]
    [InlineData("https://hooks.example.com/imap")]
    [InlineData("https://hooks.example.com/imap?server={ServerName}&token={LoginUsername}")]
    [InlineData("https://hooks.example.com/keys/monkey?monkey=1&keyword=x&token=")]
    [InlineData("https://hooks.slack.com/services/")]
    [InlineData("https://example.com/api/webhooks/123/not-discord")]
    [InlineData("not a url?apikey=abc")]
    public void AUrlWithoutAKey_StaysAsItIs(string url)
    {
        Assert.Equal(url, UrlCredentials.Masked(url));
        Assert.Empty(UrlCredentials.InClear(url));
        Assert.False(UrlCredentials.HasMaskedKey(url));
    }
}
