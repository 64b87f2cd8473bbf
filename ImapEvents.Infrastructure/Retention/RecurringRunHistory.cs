using Hangfire.States;
using Hangfire.Storage;

namespace ImapEvents.Infrastructure.Retention;

/// <summary>
/// Finished jobs are kept in Hangfire's storage as long as the app keeps its own records (the storage's
/// JobExpirationTimeout is Retention:Days), so a delivery's link into the job dashboard works for as long as the
/// delivery is listed. Runs of recurring jobs are the exception: every mailbox's scheduled check and every minutely
/// sweep is one, no record of the app points to them, and at a 1-minute interval 10,000 mailboxes make 14 million a
/// day. They keep Hangfire's own default of a day.
/// </summary>
public sealed class RecurringRunHistory : IApplyStateFilter
{
    public static readonly TimeSpan KeptFor = TimeSpan.FromDays(1);

    /// <summary>The job parameter Hangfire gives every run of a recurring job.</summary>
    private const string RecurringJobIdParameter = "RecurringJobId";

    public void OnStateApplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
    {
        // Only a final state (succeeded, deleted) expires the job, so only then is the parameter worth reading.
        if (context.NewState.IsFinal
            && context.JobExpirationTimeout > KeptFor
            && context.GetJobParameter<string>(RecurringJobIdParameter, allowStale: true) is not null)
        {
            context.JobExpirationTimeout = KeptFor;
        }
    }

    public void OnStateUnapplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
    {
    }
}
