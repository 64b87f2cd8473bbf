using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Scheduling;

/// <summary>Renews this instance's claims on the mailboxes it is checking, three times per lease, in one statement.</summary>
public sealed class LeaseRenewal(CheckLeases leases, IOptions<CheckDispatchOptions> options, ILogger<LeaseRenewal> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A real timer even where the clock is injected (tests): renewing is about real time passing.
        using var timer = new PeriodicTimer(options.Value.Lease / 3);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await leases.RenewAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The next tick tries again; a claim runs out only when a whole lease passes without one.
                logger.LogWarning(ex, "The claims on the mailboxes being checked could not be renewed");
            }
        }
    }
}
