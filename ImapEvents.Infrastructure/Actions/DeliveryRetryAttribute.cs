using Hangfire.Common;
using Hangfire.States;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>
/// Runs a delivery's job again when the job says so (<see cref="DeliveryFailedException.RetryIn"/>): after the
/// back-off, or at the time the receiver asked for with Retry-After. Without a time the failure is final and the
/// job stays in Hangfire's failed list, where it can be retried by hand. Hangfire's own automatic retry handles
/// every other exception (the database gone before anything was claimed, a bug).
/// </summary>
public sealed class DeliveryRetryAttribute : JobFilterAttribute, IElectStateFilter
{
    public void OnStateElection(ElectStateContext context)
    {
        if (context.CandidateState is not FailedState { Exception: DeliveryFailedException { RetryIn: { } wait } failure })
        {
            return;
        }

        // "Retry attempt" as Hangfire words its own, so the dashboard lists the job among the retries.
        var reason = failure.Attempt is { } attempt
            ? $"Retry attempt {attempt} of {DeliveryRetryPolicy.MaxAttempts - 1}: {Cut(failure.Message)}"
            : Cut(failure.Message);
        context.CandidateState = wait <= TimeSpan.Zero
            ? new EnqueuedState { Reason = reason }
            : new ScheduledState(wait) { Reason = reason };
    }

    private static string Cut(string text) => text.Length > 100 ? text[..99] + "…" : text;
}
