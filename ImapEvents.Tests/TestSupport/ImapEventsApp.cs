using ImapEvents.Infrastructure.Identity;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Tests.TestSupport;

/// <summary>The real app (Program) against a test database, served in-process or on a real Kestrel port.</summary>
public sealed class ImapEventsApp(string connectionString, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@example.test";
    public const string AdminPassword = "correct-horse-battery";

    /// <summary>Services that replace the app's own in this host (such as a password hasher that counts its checks).</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    /// <summary>Development by default; Production where a test needs what only Production does (the error page).</summary>
    public string Environment { get; init; } = "Development";

    /// <summary>Everything the app logged, so tests can read what an operator would see.</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>Settings with a bootstrap administrator, the usual starting point.</summary>
    public static IReadOnlyDictionary<string, string?> WithBootstrapAdmin(IReadOnlyDictionary<string, string?>? more = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Bootstrap:AdminEmail"] = AdminEmail,
            ["Bootstrap:AdminPassword"] = AdminPassword,
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return all;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environment);
        builder.UseSetting("ConnectionStrings:Default", connectionString);
        // Few workers: many test classes run their own app at once.
        builder.UseSetting("Jobs:CheckWorkers", "2");
        builder.UseSetting("Jobs:ActionWorkers", "2");
        // Tests sign in far more often than people do; the tests of the sign-in limits set their own.
        builder.UseSetting("Identity:SignInAttemptsPerAccount", "1000");
        builder.UseSetting("Identity:SignInAttemptsPerClient", "1000");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        if (TestServices is { } replace)
        {
            builder.ConfigureTestServices(replace);
        }
    }

    /// <summary>Creates a user with a role directly, as the Users page would.</summary>
    public async Task CreateUserAsync(string email, string password, string role)
    {
        var admin = await FindUserAsync(AdminEmail);
        await using var scope = Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<UserAdministration>()
            .CreateAsync(admin.Id, new NewUser(email, password, role), CancellationToken.None);
        Assert.True(result.Succeeded, string.Join(" ", result.Errors.Select(e => e.Message)));
    }

    public async Task<ApplicationUser> FindUserAsync(string email)
    {
        await using var scope = Services.CreateAsyncScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync(email);
        return user ?? throw new InvalidOperationException($"No user {email}");
    }
}
