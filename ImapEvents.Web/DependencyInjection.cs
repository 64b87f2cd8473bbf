using System.Diagnostics.Metrics;
using Hangfire;
using ImapEvents.Core.Text;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Infrastructure.KeyRing;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Scheduling;
using ImapEvents.Infrastructure.Telemetry;
using ImapEvents.Infrastructure.Retention;
using ImapEvents.Infrastructure.Settings;
using ImapEvents.Web.Account;
using ImapEvents.Web.Components;
using ImapEvents.Web.Features.Rules;
using ImapEvents.Web.Operations;
using ImapEvents.Web.Shared;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging.Console;
using MudBlazor.Services;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace ImapEvents.Web;

public static class DependencyInjection
{
    public const string JobDashboardPath = "/hangfire";

    public static IServiceCollection AddWeb(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();

        services.AddCascadingAuthenticationState();
        services.AddScoped<IdentityRedirectManager>();
        services.AddScoped<CurrentUser>();
        services.AddScoped<ViewerTime>();
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();

        // Signing in is the web host's business; a worker-only instance has users but no sign-in.
        new IdentityBuilder(typeof(ApplicationUser), typeof(IdentityRole), services).AddSignInManager<ImapEventsSignInManager>();
        services.AddAuthentication(options =>
            {
                options.DefaultScheme = IdentityConstants.ApplicationScheme;
                options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies();

        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.LoginPath = "/Account/Login";
            cookie.LogoutPath = "/Account/Logout";
            cookie.AccessDeniedPath = "/Account/AccessDenied";
            cookie.Cookie.Name = "ImapEvents.Auth";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            // Only these two handlers: Identity's cookie events also validate the security stamp on every
            // request (OnValidatePrincipal), and replacing the whole Events object dropped that check, so
            // a demoted or disabled administrator kept access for the cookie's lifetime.
            // Pages get redirects; the job dashboard and other non-page endpoints get status codes.
            cookie.Events.OnRedirectToLogin = context => AnswerOrRedirect(context, StatusCodes.Status401Unauthorized);
            cookie.Events.OnRedirectToAccessDenied = context => AnswerOrRedirect(context, StatusCodes.Status403Forbidden);
        });

        // Sign-in attempts per account and per client, before any password is checked (Identity:SignInAttemptsPer…).
        services.AddCheckedSettings<SignInLimitOptions>(SignInLimitOptions.SectionName);
        services.AddSingleton<SignInThrottle>();

        // Disabling a user or changing their roles renews the security stamp; it is checked this often
        // (Identity:SessionCheckInterval, default one minute) so the change takes effect soon.
        services.AddOptions<SecurityStampValidatorOptions>().Configure<IConfiguration>((options, configuration) =>
            options.ValidationInterval = configuration.GetValue("Identity:SessionCheckInterval", TimeSpan.FromMinutes(1)));

        // Everything is for administrators unless it says otherwise ([AllowAnonymous] on the account pages).
        var administratorsOnly = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireRole(Roles.SystemAdministrator).Build();
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(administratorsOnly)
            .AddPolicy(AuthorizationPolicies.SystemAdministrator, administratorsOnly);

        SecurityHeaders.AddAllowedHosts(services);
        services.AddHttpContextAccessor();
        return services;
    }

    /// <summary>What every instance has, a worker-only one too: metrics, structured logs, the client's real address.</summary>
    public static IServiceCollection AddOperations(this IServiceCollection services, IConfiguration configuration)
    {
        // Behind a reverse proxy on this host, take the scheme and the client's address from it: cookies are Secure and
        // redirects use https, and /metrics tells a scrape relayed from outside from one made on this machine.
        services.Configure<ForwardedHeadersOptions>(options => options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);

        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName).ValidateOnStart();
        services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // OTEL_SERVICE_NAME, when set, names the service instead (a name added here would win over it).
                if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]))
                {
                    resource.AddService("imapevents");
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ImapEventsMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "System.Runtime");
                // Created with the provider, so the gauges are there from the first scrape, before anything has counted.
                metrics.AddInstrumentation(provider => provider.GetRequiredService<ImapEventsMetrics>());
                metrics.AddPrometheusExporter();
                // The standard variable (and the other OTEL_EXPORTER_OTLP_* ones the exporter reads) switches OTLP on.
                if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
                {
                    metrics.AddOtlpExporter();
                }
            });

        services.ConfigureOpenTelemetryMeterProvider((provider, metrics) =>
        {
            // A provider listens to meters by name across the process: with two hosts in it (the tests, a worker beside
            // the web host), each would report the other's figures as its own. Only this host's meters, and the runtime's.
            var ownMeters = provider.GetRequiredService<IMeterFactory>();
            metrics.AddView(instrument =>
                instrument.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, ownMeters) ? MetricStreamConfiguration.Drop : null);
        });

        // Logging:Console:FormatterName=json writes one JSON object per line. Its scopes (the event and delivery a line
        // is about) and a UTC timestamp are on unless Logging:Console:FormatterOptions says otherwise.
        services.Configure<JsonConsoleFormatterOptions>(options =>
        {
            var formatter = configuration.GetSection("Logging:Console:FormatterOptions");
            options.IncludeScopes = formatter.GetValue("IncludeScopes", true);
            options.UseUtcTimestamp = formatter.GetValue("UseUtcTimestamp", true);
            options.TimestampFormat = formatter["TimestampFormat"] ?? (options.UseUtcTimestamp ? "yyyy-MM-ddTHH:mm:ss.fffZ" : "yyyy-MM-ddTHH:mm:ss.fffzzz");
        });

        return services;
    }

    public static async Task InitializeDatabaseAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var setupToken = await scope.ServiceProvider.GetRequiredService<DatabaseInitializer>()
            .InitializeAsync(app.Lifetime.ApplicationStopping);
        await app.Services.GetRequiredService<KeyRingProtection>().EnsureProtectedAsync(app.Lifetime.ApplicationStopping);

        // Gives every mailbox its due time (mailboxes of an earlier version, or written by hand).
        await app.Services.GetRequiredService<MailboxSchedule>().ReconcileAsync(app.Lifetime.ApplicationStopping);
        // Checks and delivery attempts that an earlier process on this machine left unfinished when it ended
        // (kill -9, a crash): closed now, before this process starts any of its own. The sweeps repeat it.
        await app.Services.GetRequiredService<InterruptedCheckSweep>().RunAsync(app.Lifetime.ApplicationStopping);
        await app.Services.GetRequiredService<DeliveryQueue>().ReleaseInterruptedAsync(app.Lifetime.ApplicationStopping);
        var recurringJobs = app.Services.GetRequiredService<IRecurringJobManager>();
        PendingEventSweep.Schedule(recurringJobs);
        InterruptedCheckSweep.Schedule(recurringJobs);
        IncidentSweep.Schedule(recurringJobs);
        StaleMailboxSweep.Schedule(recurringJobs);
        CheckDispatcher.Schedule(recurringJobs, app.Services.GetRequiredService<JobStorage>(),
            app.Services.GetRequiredService<IOptions<CheckDispatchOptions>>().Value);
        RetentionJob.Schedule(recurringJobs);

        if (setupToken is not null)
        {
            // Logged once the server listens, so the link carries an address that works.
            app.Lifetime.ApplicationStarted.Register(() => LogSetupLink(app, setupToken));
        }
    }

    public static WebApplication UseWeb(this WebApplication app)
    {
        app.UseForwardedHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
        }

        // Inside the error handler, so that it sees a database outage first: the error page says only "something went wrong".
        app.UseDatabaseUnavailablePage();

        app.UseSecurityHeaders();

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        // The sign-in page needs its styles and scripts before anyone has signed in.
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(options => options.ContentSecurityFrameAncestorsPolicy = null);
        app.MapAccountEndpoints();
        app.MapOperationsEndpoints();
        app.MapRuleExport();

        app.MapHangfireDashboardWithAuthorizationPolicy(
            AuthorizationPolicies.SystemAdministrator,
            JobDashboardPath,
            new DashboardOptions
            {
                // Never Hangfire's default local-requests filter: behind a reverse proxy every request is local.
                Authorization = [],
                DashboardTitle = "ImapEvents jobs",
                AppPath = "/",
                DisplayStorageConnectionString = false,
            });

        return app;
    }

    private static async Task AnswerOrRedirect(RedirectContext<CookieAuthenticationOptions> context, int statusCode)
    {
        var request = context.Request;
        var wantsPage = HttpMethods.IsGet(request.Method)
            && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

        if (wantsPage && !(statusCode == StatusCodes.Status403Forbidden && request.Path.StartsWithSegments(JobDashboardPath)))
        {
            context.Response.Redirect(context.RedirectUri);
            return;
        }

        context.Response.StatusCode = statusCode;
        if (wantsPage)
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("Access denied: the job dashboard is for system administrators only.");
        }
    }

    private static void LogSetupLink(WebApplication app, string setupToken)
    {
        var listening = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var baseUrl = app.Configuration["App:PublicUrl"]?.TrimEnd('/')
            ?? listening?.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "localhost", StringComparison.Ordinal)
            ?? "http://localhost";
        var lifetime = app.Services.GetRequiredService<IOptions<BootstrapOptions>>().Value.SetupLinkLifetime;
        app.Logger.LogWarning(
            "No administrator exists yet. Open {SetupLink} to create the first one. The link works once and for {Lifetime}; " +
            "restarting ImapEvents writes a new one. (Or set Bootstrap__AdminEmail and Bootstrap__AdminPassword.)",
            $"{baseUrl}/Account/Setup?token={setupToken}",
            DurationText.Of(lifetime));
    }
}
