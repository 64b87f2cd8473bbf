using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ImapEvents.Infrastructure.Persistence;

/// <summary>
/// One long-lived LISTEN connection to PostgreSQL for one channel, reconnecting after PostgreSQL
/// restarts. NOTIFY is delivered only to connected listeners, so every (re)connection starts with
/// <see cref="OnListeningAsync"/>, where a subclass catches up on what it may have missed.
/// </summary>
internal abstract class PostgresListener(string connectionString, ILogger logger) : BackgroundService
{
    protected abstract string Channel { get; }

    /// <summary>How long a quiet connection waits before <see cref="OnIdleAsync"/>; infinite by default.</summary>
    protected virtual TimeSpan IdleAfter => Timeout.InfiniteTimeSpan;

    /// <summary>Completes when the connection is worth opening; at once by default.</summary>
    protected virtual Task WaitUntilNeededAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs on the listening connection's loop: keep it short, never block.</summary>
    protected abstract void OnNotification(string payload);

    protected abstract Task OnListeningAsync(CancellationToken cancellationToken);

    protected virtual Task OnIdleAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected abstract void OnDisconnected();

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WaitUntilNeededAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        var listenerConnection = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 30 }.ConnectionString;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(listenerConnection);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => OnNotification(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                await OnListeningAsync(stoppingToken);
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(IdleAfter, stoppingToken))
                    {
                        await OnIdleAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                OnDisconnected();
                return;
            }
            catch (Exception ex)
            {
                // Never let this stop the host: the subclass falls back on its own until the next connection.
                OnDisconnected();
                logger.LogWarning(ex, "Listening on PostgreSQL channel {Channel} failed; retrying in 5 seconds", Channel);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
    }
}
