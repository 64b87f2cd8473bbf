using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.Infrastructure;

public sealed class DataProtectionTests : IAsyncLifetime
{
    private readonly TestDatabase database = new();

    public Task InitializeAsync() => database.InitializeAsync();

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task TheKeyRing_LivesInPostgreSql_SoAnotherInstanceCanUnprotect()
    {
        await using var first = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin());
        await using var second = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin());

        var protectedText = first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("a secret");
        var unprotected = second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(protectedText);

        Assert.Equal("a secret", unprotected);
        // Both test instances share a content root, which would match anyway; real instances rely on the fixed name.
        Assert.Equal("ImapEvents", first.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DataProtectionOptions>>().Value.ApplicationDiscriminator);
        await using var scope = first.Services.CreateAsyncScope();
        Assert.NotEmpty(await scope.ServiceProvider.GetRequiredService<AppDbContext>().DataProtectionKeys.ToListAsync());
    }
}
