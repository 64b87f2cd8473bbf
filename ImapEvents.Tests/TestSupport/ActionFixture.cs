using ImapEvents.Core.Actions;
using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Events;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// The app's services on a database of their own, by default with no job server, so each test runs
/// delivery jobs itself; a log directory of its own and 2-second HTTP and SMTP timeouts. Each test raises events for a
/// username of its own, and its rules match only that username.
/// </summary>
public sealed class ActionFixture : IAsyncLifetime
{
    private readonly TestDatabase database = new();
    private readonly bool runJobServer;
    private readonly bool behindProxy;
    private readonly bool onKestrel;
    private readonly bool production;

    public ActionFixture()
    {
    }

    /// <summary>Not public: xunit wants one public constructor on a class fixture.</summary>
    /// <param name="behindProxy">The app reaches PostgreSQL through <see cref="DatabaseProxy"/>, so a test can cut it off.</param>
    /// <param name="onKestrel">The app listens on a loopback port, and its clients connect to it as any client would.</param>
    /// <param name="production">The app runs in Production, as users run it: with its error page.</param>
    internal ActionFixture(bool runJobServer, bool behindProxy = false, bool onKestrel = false, bool production = false)
    {
        this.runJobServer = runJobServer;
        this.production = production;
        this.behindProxy = behindProxy;
        this.onKestrel = onKestrel;
    }

    public ImapEventsApp App { get; private set; } = default!;

    /// <summary>What the app reaches PostgreSQL through, when the fixture was made behind a proxy.</summary>
    public SeverableProxy? DatabaseProxy { get; private set; }

    public string ConnectionString => database.ConnectionString;

    public string LogDirectory { get; } = Path.Combine(Path.GetTempPath(), "imapevents-action-logs-" + Guid.NewGuid().ToString("N"));

    public IReadOnlyDictionary<string, string?> Settings => ImapEventsApp.WithBootstrapAdmin(new Dictionary<string, string?>
    {
        ["Jobs:RunServer"] = runJobServer ? "true" : "false",
        ["Actions:LogDirectory"] = LogDirectory,
        ["Actions:HttpTimeout"] = "00:00:02",
        ["Actions:SmtpTimeout"] = "00:00:02",
        // Production refuses a key ring stored unprotected; a test database is thrown away.
        ["DataProtection:AllowUnprotectedKeys"] = production ? "true" : "false",
    });

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        var connectionString = database.ConnectionString;
        if (behindProxy)
        {
            var direct = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            DatabaseProxy = new SeverableProxy(direct.Host!, direct.Port);
            // Short timeouts: a cut connection is noticed in seconds, not in Npgsql's default 15 to 30.
            connectionString = new Npgsql.NpgsqlConnectionStringBuilder(connectionString)
            {
                Host = "127.0.0.1", Port = DatabaseProxy.Port, Timeout = 5, CommandTimeout = 10,
            }.ConnectionString;
        }

        App = new ImapEventsApp(connectionString, Settings) { Environment = production ? "Production" : "Development" };
        if (onKestrel)
        {
            App.UseKestrel(0);
            App.StartServer();
        }

        _ = App.Services;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        if (DatabaseProxy is not null)
        {
            await DatabaseProxy.DisposeAsync();
        }

        await database.DisposeAsync();
        if (Directory.Exists(LogDirectory))
        {
            Directory.Delete(LogDirectory, recursive: true);
        }
    }

    public T Service<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    public static string NewUser() => $"user-{Guid.NewGuid():N}@example.com";

    /// <summary>A Call Webhook action to this URL, with a new signing secret unless one is given.</summary>
    public static RuleAction Webhook(string url, string? secret = null)
    {
        var action = RuleAction.Create(ActionKind.CallWebhook);
        action.Url = url;
        action.NewSecret = secret ?? WebhookSecrets.Generate();
        return action;
    }

    public async Task<EventRule> SaveRuleAsync(string user, params RuleAction[] actions)
    {
        var admin = await App.FindUserAsync(ImapEventsApp.AdminEmail);
        var rule = new EventRule { Name = $"Rule for {user}", EventType = ImapEventType.LoginFailed, LoginUsername = user };
        rule.Actions.AddRange(actions);
        var saved = await Service<RuleAdministration>().CreateAsync(admin.Id, rule, CancellationToken.None);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Select(e => $"{e.Key}: {e.Value}")));
        return (await Service<RuleAdministration>().GetAsync(saved.Id!.Value, CancellationToken.None))!;
    }

    /// <summary>Stores a Login Failed event for the user and dispatches it, as a failed check does.</summary>
    public async Task<ImapEvent> RaiseAsync(string user, IImapEventDispatcher? dispatcher = null, IDbContextFactory<AppDbContext>? dbFactory = null)
    {
        var imapEvent = new ImapEvent
        {
            Id = Guid.NewGuid(),
            Type = ImapEventType.LoginFailed,
            OccurredAt = DateTimeOffset.UtcNow,
            MailboxName = "Support",
            ServerName = "imap.example.com",
            ServerPort = 993,
            LoginUsername = user,
            Ssl = true,
            Stage = CheckStage.Authenticate,
            ErrorKind = CheckErrorKind.CredentialsRejected,
            ErrorMessage = "Authentication failed.",
        };
        await using (var db = await (dbFactory ?? Service<IDbContextFactory<AppDbContext>>()).CreateDbContextAsync())
        {
            db.Events.Add(imapEvent);
            await db.SaveChangesAsync();
        }

        await (dispatcher ?? Service<IImapEventDispatcher>()).DispatchAsync(imapEvent, CancellationToken.None);
        return imapEvent;
    }

    public async Task<List<Delivery>> DeliveriesAsync(Guid eventId)
    {
        await using var db = await Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Deliveries.AsNoTracking().Where(d => d.EventId == eventId).OrderBy(d => d.ActionPosition).ToListAsync();
    }

    public async Task<Delivery> DeliveryAsync(Guid deliveryId)
    {
        await using var db = await Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == deliveryId);
    }

    /// <summary>Changes a delivery's row directly, to stage what a crash, a past attempt or another worker would have left.</summary>
    public async Task UpdateDeliveryAsync(Guid deliveryId, Action<UpdateSettersBuilder<Delivery>> set)
    {
        await using var db = await Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        await db.Deliveries.Where(d => d.Id == deliveryId).ExecuteUpdateAsync(set);
    }

    /// <summary>The delivery once it reached this status (a job server delivers it), or a failed test after the deadline.</summary>
    public async Task<Delivery> WaitForDeliveryAsync(Guid deliveryId, DeliveryStatus status, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        var delivery = await DeliveryAsync(deliveryId);
        while (delivery.Status != status)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Delivery {deliveryId} is {delivery.Status} after {timeoutSeconds} s, not {status}.");
            await Task.Delay(100);
            delivery = await DeliveryAsync(deliveryId);
        }

        return delivery;
    }

    public async Task<List<DeliveryAttempt>> AttemptsAsync(Guid deliveryId)
    {
        await using var db = await Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.DeliveryAttempts.AsNoTracking().Where(a => a.DeliveryId == deliveryId).OrderBy(a => a.Number).ToListAsync();
    }

    /// <summary>Runs a delivery's job now, as a Hangfire worker would (with a deadline, so a hang fails the test).</summary>
    public Task RunJobAsync(Guid deliveryId) =>
        Service<DeliveryJob>().RunAsync(deliveryId, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
}
