using System.Security.Claims;
using Bunit;
using ImapEvents.Infrastructure;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Web.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// Component tests whose components use the real feature services, on a migrated database of the
/// test class's own, with a signed-in administrator on the circuit.
/// </summary>
public abstract class ServiceComponentTestBase : ComponentTestBase, IAsyncLifetime
{
    private readonly TestDatabase database = new();

    /// <summary>The id of the signed-in user on the circuit (no such row exists unless a test creates it).</summary>
    protected string SignedInUserId { get; } = Guid.NewGuid().ToString();

    async Task IAsyncLifetime.InitializeAsync()
    {
        await database.InitializeAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Default"] = database.ConnectionString,
            ["Jobs:RunServer"] = "false",
        }).Build();
        Context.Services.AddLogging();
        Context.Services.AddInfrastructure(configuration);
        Context.Services.AddScoped<CurrentUser>();
        Context.AddAuthorization().SetAuthorized("admin@example.test").SetClaims(new Claim(ClaimTypes.NameIdentifier, SignedInUserId));

        await using var scope = Context.Services.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AppDbContext>().Database.MigrateAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await database.DisposeAsync();
    }

    protected T Service<T>()
        where T : notnull => Context.Services.GetRequiredService<T>();
}
