using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ImapEvents.Infrastructure.Rules;

/// <summary>
/// Listens for rule changes made on any instance (PostgreSQL LISTEN/NOTIFY) and marks this
/// instance's compiled rules stale. Every 30 seconds it also compares versions, in case a
/// notification was missed while the connection was down.
/// </summary>
internal sealed class RuleChangeListener(RuleSet ruleSet, string connectionString, ILogger<RuleChangeListener> logger) : BackgroundService
{
    public const string Channel = "imapevents_rules";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listenerConnection = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 30 }.ConnectionString;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(listenerConnection);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, _) => ruleSet.OnNotification();
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Changes made while not listening are caught here.
                ruleSet.MarkStale();
                ruleSet.Listening = true;
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(TimeSpan.FromSeconds(30), stoppingToken))
                    {
                        await ruleSet.CheckVersionAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                ruleSet.Listening = false;
                return;
            }
            catch (Exception ex)
            {
                // Never let this stop the host: rules still refresh through GetAsync's stale flag.
                ruleSet.Listening = false;
                logger.LogWarning(ex, "The rule-change listener failed; retrying in 5 seconds");
                ruleSet.MarkStale();
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
    }
}
