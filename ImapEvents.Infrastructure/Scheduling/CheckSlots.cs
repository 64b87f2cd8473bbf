using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Scheduling;

/// <summary>How many scheduled checks this instance runs at once, shared by all its dispatcher runs (they overlap).</summary>
public sealed class CheckSlots(IOptions<CheckDispatchOptions> options) : IDisposable
{
    private readonly SemaphoreSlim semaphore = new(Math.Max(1, options.Value.Concurrency));

    public int Free => semaphore.CurrentCount;

    public Task WaitAsync(CancellationToken cancellationToken) => semaphore.WaitAsync(cancellationToken);

    public void Release() => semaphore.Release();

    public void Dispose() => semaphore.Dispose();

    /// <summary>Returns once a slot is free (without taking it) or after <paramref name="atMost"/>.</summary>
    public async Task WaitUntilFreeAsync(TimeSpan atMost, CancellationToken cancellationToken)
    {
        if (await semaphore.WaitAsync(atMost, cancellationToken))
        {
            semaphore.Release();
        }
    }
}
