namespace ImapEvents.Infrastructure.Jobs;

public static class JobQueues
{
    /// <summary>Mailbox checks: many, periodic, may wait on slow servers.</summary>
    public const string Checks = "checks";

    /// <summary>Action deliveries: served by their own workers so they never wait behind checks.</summary>
    public const string Actions = "actions";

    public const string Default = "default";

    /// <summary>The dispatchers of scheduled checks: a few long runs, on a job server of their own.</summary>
    public const string Dispatch = "dispatch";
}
