using Hangfire;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Infrastructure.KeyRing;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Retention;
using ImapEvents.Web.Account;
using ImapEvents.Web.Components;
using ImapEvents.Web.Features.Rules;
using ImapEvents.Web.Shared;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using MudBlazor.Services;

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
        services.AddOptions<SignInLimitOptions>().BindConfiguration(SignInLimitOptions.SectionName);
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

        // Behind a reverse proxy on this host, take the scheme from it, so cookies are Secure and redirects use https.
        services.Configure<ForwardedHeadersOptions>(options => options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);

        SecurityHeaders.AddAllowedHosts(services);
        services.AddHttpContextAccessor();
        return services;
    }

    public static async Task InitializeDatabaseAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var setupToken = await scope.ServiceProvider.GetRequiredService<DatabaseInitializer>()
            .InitializeAsync(app.Lifetime.ApplicationStopping);
        await app.Services.GetRequiredService<KeyRingProtection>().EnsureProtectedAsync(app.Lifetime.ApplicationStopping);

        // Repairs any drift between the mailboxes and their recurring checks (a crash between the two writes).
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

        app.UseSecurityHeaders();

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        // The sign-in page needs its styles and scripts before anyone has signed in.
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(options => options.ContentSecurityFrameAncestorsPolicy = null);
        app.MapAccountEndpoints();
        // Says only "Healthy" or "Unhealthy", so it may be open to load balancers.
        app.MapHealthChecks("/healthz").AllowAnonymous();
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
        app.Logger.LogWarning(
            "No administrator exists yet. Open {SetupLink} to create the first one. The link works once and for 24 hours; " +
            "restarting ImapEvents writes a new one. (Or set Bootstrap__AdminEmail and Bootstrap__AdminPassword.)",
            $"{baseUrl}/Account/Setup?token={setupToken}");
    }
}
