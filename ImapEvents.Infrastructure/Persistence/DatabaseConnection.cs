using Microsoft.Extensions.Configuration;
using Npgsql;

namespace ImapEvents.Infrastructure.Persistence;

public static class DatabaseConnection
{
    public const string ConnectionStringName = "Default";

    /// <summary>
    /// The configured connection string with the settings measured to make Hangfire and EF Core
    /// cheaper per query (auto-prepared statements, no reset round-trip when a pooled
    /// connection is returned). Explicit settings in the configured string win.
    /// </summary>
    public static string FromConfiguration(IConfiguration configuration)
    {
        var configured = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(configured))
        {
            throw new InvalidOperationException(
                $"No PostgreSQL connection string is configured. Set ConnectionStrings__{ConnectionStringName} " +
                "(for example Host=127.0.0.1;Port=5432;Database=imapevents;Username=imapevents;Password=...), " +
                "or start the app with scripts/run.sh, which starts a local PostgreSQL for you.");
        }

        var builder = new NpgsqlConnectionStringBuilder(configured);
        if (!configured.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase)
            && !configured.Contains("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 64;
        }

        if (!configured.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase)
            && !configured.Contains("NoResetOnClose", StringComparison.OrdinalIgnoreCase))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }
}
