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
    /// <summary>The signed-in administrator's user id (what CurrentUser.IdAsync gives the components).</summary>
    protected const string AdministratorId = "component-test-administrator";

    private readonly TestDatabase database = new();

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
        Context.AddAuthorization().SetAuthorized("admin@example.test").SetClaims(new Claim(ClaimTypes.NameIdentifier, AdministratorId));

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
