using ImapEvents.Infrastructure.Settings;

namespace ImapEvents.Infrastructure.Jobs;

public sealed class JobOptions : ICheckedSettings
{
    public const string SectionName = "Jobs";

    /// <summary>When false this instance only enqueues and shows jobs; other instances run them.</summary>
    public bool RunServer { get; set; } = true;

    /// <summary>
    /// Workers for Check now and the check on save; scheduled checks are run by the dispatchers, not one job each. Every
    /// idle worker asks PostgreSQL for a job twice a second, so more than these few costs without serving anyone.
    /// </summary>
    public int CheckWorkers { get; set; } = Math.Min(8, Environment.ProcessorCount * 2);

    public int ActionWorkers { get; set; } = Math.Min(10, Environment.ProcessorCount * 3);

    /// <summary>
    /// How long a fetched job stays invisible to other servers. Kept short, with the sliding
    /// timeout renewing it while the job runs, so a job held by a dead server runs again within minutes.
    /// </summary>
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan QueuePollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <inheritdoc/>
    public IReadOnlyList<string> Problems() => SettingRange.All(
        SettingRange.Check("Jobs__CheckWorkers", CheckWorkers, 1, 100),
        SettingRange.Check("Jobs__ActionWorkers", ActionWorkers, 1, 200),
        SettingRange.Check("Jobs__InvisibilityTimeout", InvisibilityTimeout, TimeSpan.FromSeconds(5), TimeSpan.FromDays(1)),
        SettingRange.Check("Jobs__QueuePollInterval", QueuePollInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1)));
}
