using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Common;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using ImapEvents.Infrastructure.Scheduling;
using ImapEvents.Infrastructure.Retention;
using ImapEvents.Infrastructure.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Jobs;

internal static class HangfireSetup
{
    public const string SchemaName = "hangfire";

    public static IServiceCollection AddJobs(this IServiceCollection services, IConfiguration configuration, string connectionString)
    {
        var options = configuration.ReadCheckedSettings<JobOptions>(JobOptions.SectionName);
        services.AddCheckedSettings<JobOptions>(configuration, JobOptions.SectionName);

        var storageOptions = new PostgreSqlStorageOptions
        {
            SchemaName = SchemaName,
            PrepareSchemaIfNecessary = true,
            InvisibilityTimeout = options.InvisibilityTimeout,
            UseSlidingInvisibilityTimeout = true,
            QueuePollInterval = options.QueuePollInterval,
            // Long polling gained nothing in-process and left fetched jobs stuck until the
            // invisibility timeout in measured runs; in-process enqueues wake workers anyway.
            EnableLongPolling = false,
        };

        // Storage and activator belong to this host's container, not to Hangfire's process-wide
        // JobStorage.Current / JobActivator.Current: with two hosts in one process (tests, or a
        // worker beside the web host) the globals would point at whichever started last.
        // Finished jobs expire with the app's own records (Retention:Days) instead of Hangfire's default day.
        services.AddSingleton<JobStorage>(provider => new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, storageOptions), storageOptions)
        {
            JobExpirationTimeout = provider.GetRequiredService<IOptions<RetentionOptions>>().Value.Period,
        });
        // Hangfire's filters plus one of ours (runs of recurring jobs keep the default day), for this container only:
        // AddHangfire's TryAdd keeps this provider, and the servers and clients built from the container use it.
        services.AddSingleton<IJobFilterProvider>(new JobFilterProviderCollection(JobFilterProviders.Providers, new JobFilterCollection { new RecurringRunHistory() }));
        services.AddSingleton<JobActivator>(provider => new AspNetCoreJobActivator(provider.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((provider, config) => config
            .UseLogProvider(new HostLogProvider(provider.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>()))
            // Measured here: compatibility level 1.8 with short type names and the recommended
            // serializer settings makes each job noticeably cheaper to store and read.
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings());

        if (options.RunServer)
        {
            // Two servers, one per queue family: action deliveries have their own workers and can
            // never starve behind a backlog of mailbox checks.
            services.AddHangfireServer(server =>
            {
                server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}:actions";
                server.Queues = [JobQueues.Actions];
                server.WorkerCount = options.ActionWorkers;
                // A delivery's next attempt is a scheduled job; the default 15 s look for due ones would turn a
                // receiver's "Retry-After: 5" into up to 20 s. Once a second is a small indexed query.
                server.SchedulePollingInterval = TimeSpan.FromSeconds(1);
            });
            services.AddHangfireServer(server =>
            {
                server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}:checks";
                server.Queues = [JobQueues.Checks, JobQueues.Default];
                server.WorkerCount = options.CheckWorkers;
            });
            // Each dispatcher's run overlaps the next minute's for a few seconds: two workers per dispatcher.
            var dispatch = configuration.ReadCheckedSettings<CheckDispatchOptions>(CheckDispatchOptions.SectionName);
            services.AddHangfireServer(server =>
            {
                server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}:dispatch";
                server.Queues = [JobQueues.Dispatch];
                server.WorkerCount = 2 * dispatch.Dispatchers;
            });
        }

        return services;
    }
}
