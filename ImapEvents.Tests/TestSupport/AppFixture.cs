using ImapEvents.Infrastructure.Identity;

namespace ImapEvents.Tests.TestSupport;

/// <summary>The app with a bootstrap administrator and one Agent, on a database of its own.</summary>
public sealed class AppFixture : IAsyncLifetime
{
    public const string AgentEmail = "agent@example.test";
    public const string AgentPassword = "agent-password-123";

    private readonly TestDatabase database = new();

    public ImapEventsApp App { get; private set; } = default!;

    public string ConnectionString => database.ConnectionString;

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        App = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin());
        await App.CreateUserAsync(AgentEmail, AgentPassword, Roles.Agent);
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await database.DisposeAsync();
    }
}
