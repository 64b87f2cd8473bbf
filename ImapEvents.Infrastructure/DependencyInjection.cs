using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Activity;
using ImapEvents.Infrastructure.Email;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Infrastructure.Maintenance;
using ImapEvents.Infrastructure.Jobs;
using ImapEvents.Infrastructure.KeyRing;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Notifications;
using ImapEvents.Infrastructure.Outbound;
using ImapEvents.Infrastructure.Providers;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Retention;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Infrastructure.Scheduling;
using ImapEvents.Infrastructure.Telemetry;
using ImapEvents.Infrastructure.Settings;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure;

public static class DependencyInjection
{
    /// <summary>A fixed name, so every instance sharing the key ring can read what another protected.</summary>
    public const string DataProtectionApplicationName = "ImapEvents";

    /// <summary>The tag of the health checks that /readyz runs (/healthz runs none: the process answers, it is alive).</summary>
    public const string ReadinessTag = "ready";

    private static readonly TimeSpan ReadinessCheckTimeout = TimeSpan.FromSeconds(5);

    public static IServiceCollection AddInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = DatabaseConnection.FromConfiguration(configuration);

        services.AddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<ImapEventsMetrics>();

        // A pooled factory: one context per operation (Blazor circuits, checks), cheap to create since
        // every check opens several. Identity's stores and the key ring take a scoped one from it.
        services.AddPooledDbContextFactory<AppDbContext>(options => options.UseNpgsql(connectionString));
        services.AddScoped(provider => provider.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContext());

        KeyRingProtection.Register(services, configuration);

        services.AddIdentityCore<ApplicationUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.SignIn.RequireConfirmedAccount = false;
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                options.Password.RequiredLength = 12;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireDigit = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<AppDbContext>()
            .AddDefaultTokenProviders();

        // Every section is read at start (ValidateOnStart, AddCheckedSettings for ranges): a setting not of its kind ("abc"
        // for a time span) or out of range is refused in a sentence then, not met by the first request or job that needs it.
        services.AddCheckedSettings<AppOptions>(configuration, AppOptions.SectionName);
        services.AddCheckedSettings<BootstrapOptions>(configuration, BootstrapOptions.SectionName);
        services.AddScoped<FirstAdministrator>();
        services.AddScoped<UserAdministration>();
        services.AddScoped<DatabaseInitializer>();
        services.AddSingleton<JobSystemStatus>();

        services.AddCheckedSettings<ImapCheckOptions>(configuration, ImapCheckOptions.SectionName);
        services.AddSingleton<MailboxPasswords>();
        services.AddSingleton<MailboxSchedule>();
        services.AddCheckedSettings<CheckDispatchOptions>(configuration, CheckDispatchOptions.SectionName);
        services.AddSingleton<CheckLeases>();
        services.AddSingleton<CheckSlots>();
        services.AddHostedService<LeaseRenewal>();
        services.AddTransient<CheckDispatcher>();
        services.AddSingleton<MessageImporter>();
        services.AddSingleton<ImapCheck>();
        services.AddSingleton<CheckRecorder>();
        services.AddCheckedSettings<IncidentSettings>(configuration, IncidentSettings.Section);
        services.AddSingleton<MaintenanceCalendar>();
        services.AddSingleton<NotificationGrouping>();
        services.AddSingleton<IncidentLinks>();
        services.AddTransient<IncidentSweep>();
        services.AddSingleton<MaintenanceAdministration>();
        services.AddTransient<InterruptedCheckSweep>();
        services.AddTransient<StaleMailboxSweep>();
        services.AddCheckedSettings<RuleOptions>(configuration, RuleOptions.SectionName);
        services.AddSingleton<RuleSet>();
        services.AddSingleton<IImapEventDispatcher, RuleDispatcher>();
        services.AddSingleton<RuleAdministration>();
        services.AddSingleton<TestEventSender>();
        services.AddTransient<PendingEventSweep>();
        services.AddHostedService(provider => ActivatorUtilities.CreateInstance<RuleChangeListener>(provider, connectionString));
        services.AddTransient<MailboxCheckJob>();
        services.AddSingleton<ConnectionTester>();
        services.AddSingleton<MailboxAdministration>();
        services.AddSingleton<EventQueries>();
        services.AddSingleton<IncidentQueries>();
        services.AddSingleton<IncidentAdministration>();
        services.AddSingleton<ActivityFeed>();
        services.AddHostedService(provider => ActivatorUtilities.CreateInstance<ActivityListener>(provider, connectionString));

        services.AddCheckedSettings<ActionOptions>(configuration, ActionOptions.SectionName);
        services.Configure<OutboundOptions>(configuration.GetSection(OutboundOptions.SectionName));
        services.AddOptions<OutboundOptions>().ValidateOnStart();
        services.AddSingleton<OutboundPolicy>();
        services.AddHttpClient(HttpActionSender.ClientName, client => client.DefaultRequestHeaders.UserAgent.ParseAdd("ImapEvents/1.0"))
            // Redirects are reported, not followed: a webhook should be pointed at its real address.
            // An error body is read only as far as its start (SendResult); the rest is not drained to keep the
            // connection either: a receiver that sends gigabytes, or never stops, gets hung up on.
            // Every connection is made by the outbound policy, which checks the address it connects to. No proxy:
            // through one, the policy would see only the proxy, never where the request goes. (Requests stay on
            // HTTP/1.1 or 2; HTTP/3 would not pass through ConnectCallback, and nothing here asks for it.)
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseProxy = false,
                ConnectCallback = provider.GetRequiredService<OutboundPolicy>().ConnectAsync,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                MaxResponseDrainSize = SendResult.SnippetBytes,
                ResponseDrainTimeout = TimeSpan.FromMilliseconds(100),
            })
            // HttpClient's own log lines name the whole URL, and a URL's path can be its key (a Slack incoming
            // webhook). Every attempt is recorded on its delivery instead, where the key is masked.
            .RemoveAllLoggers()
            // Each action has its own timeout (ActionOptions.HttpTimeout); the client's own must not cut in first.
            // Nothing here needs more of an answer than its start: a buffered read of more fails rather than fills memory.
            .ConfigureHttpClient(client =>
            {
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.MaxResponseContentBufferSize = SendResult.SnippetBytes;
            });
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<ActionUrls>();
        services.AddSingleton<HttpActionSender>();
        services.AddSingleton<LogFileWriter>();
        services.AddSingleton<SmtpSettingsStore>();
        services.AddSingleton<EmailSender>();
        services.AddSingleton<EmailActionSender>();
        services.AddSingleton<NotificationProfiles>();
        services.AddSingleton<ProviderAdministration>();
        services.AddSingleton<ActionGate>();
        services.AddSingleton<DeliveryQueue>();
        services.AddTransient<DeliveryJob>();

        services.AddCheckedSettings<RetentionOptions>(configuration, RetentionOptions.SectionName);
        services.AddTransient<RetentionJob>();

        services.AddSingleton<MigrationsHealthCheck>();
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadinessTag], timeout: ReadinessCheckTimeout)
            .AddCheck<JobStorageHealthCheck>("job storage", tags: [ReadinessTag], timeout: ReadinessCheckTimeout)
            .AddCheck<MigrationsHealthCheck>("migrations", tags: [ReadinessTag], timeout: ReadinessCheckTimeout);

        services.AddJobs(configuration, connectionString);

        return services;
    }
}
