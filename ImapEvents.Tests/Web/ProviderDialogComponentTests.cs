using ImapEvents.Core.Providers;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Providers;
using ImapEvents.Tests.TestSupport;
using ImapEvents.Web.Features.Providers;
using MudBlazor;

namespace ImapEvents.Tests.Web;

public sealed class ProviderDialogComponentTests : ServiceComponentTestBase
{
    [Fact]
    public async Task MovingTheEndpointToAnotherHost_AsksForTheHeadersAgain_NextToTheField()
    {
        var providers = Service<ProviderAdministration>();
        var saved = await providers.SaveAsync(
            null, new ExternalProvider { Name = "PagerBridge", Endpoint = "https://alerts.example.com/events" }, 0, WebhookSecrets.Generate(), "X-Api-Key: bound-to-alerts", default);
        Assert.True(saved.Succeeded);
        var dialog = await OpenDialogAsync<ProviderDialog>("Edit PagerBridge", new DialogParameters<ProviderDialog> { { d => d.ProviderId, saved.Id } });
        await EventuallyAsync(() => Assert.Equal("https://alerts.example.com/events", Input(dialog, "Endpoint").GetAttribute("value")));

        await ChangeFieldAsync(dialog, "Endpoint", "https://alerts.example.net/events");
        await ClickButtonAsync(dialog, "Save");

        await EventuallyAsync(() => Assert.Equal(
            "Enter the headers again, or remove them: stored header values are only sent to the scheme, host and port they were entered for.",
            ErrorNextTo(dialog, "Headers")));
        Assert.Equal("https://alerts.example.com/events", (await providers.GetAsync(saved.Id!.Value, default))!.Endpoint);

        // Back on the host they were entered for, nothing is asked.
        await ChangeFieldAsync(dialog, "Endpoint", "https://alerts.example.com/v2/events");
        await EventuallyAsync(() => Assert.Null(ErrorNextTo(dialog, "Headers")));
    }
}
