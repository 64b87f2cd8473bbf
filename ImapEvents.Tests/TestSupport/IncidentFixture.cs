using System.Text.Json;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Infrastructure.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// The app's services on a database of their own, the real Dovecot and a real webhook receiver, with no job server:
/// each test runs checks, sweeps and delivery jobs itself, so it can count exactly what was sent. The grouping
/// window is 2 seconds.
/// </summary>
public sealed class IncidentFixture : IAsyncLifetime
{
    private readonly TestDatabase database = new();

    public ImapEventsApp App { get; private set; } = default!;

    public DovecotServer Dovecot { get; private set; } = default!;

    public HttpReceiver Receiver { get; private set; } = default!;

    public string ConnectionString => database.ConnectionString;

    public static IReadOnlyDictionary<string, string?> AppSettings => ImapEventsApp.WithBootstrapAdmin(new Dictionary<string, string?>
    {
        ["Jobs:RunServer"] = "false",
        ["Imap:StageTimeout"] = "00:00:03",
        ["Actions:HttpTimeout"] = "00:00:05",
        ["Incidents:GroupingWindow"] = "00:00:02",
        ["App:PublicUrl"] = "https://imapevents.example.org",
    });

    public async Task InitializeAsync()
    {
        Dovecot = await DovecotServer.GetAsync();
        await database.InitializeAsync();
        Receiver = await HttpReceiver.StartAsync();
        App = new ImapEventsApp(database.ConnectionString, AppSettings);
        _ = App.Services;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Receiver.DisposeAsync();
        await database.DisposeAsync();
    }

    public T Service<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    public async Task<Guid> CreateMailboxAsync(string username, string password, int? port = null)
    {
        var saved = await Service<MailboxAdministration>().CreateAsync(new MailboxSettings
        {
            DisplayName = $"Mailbox {Guid.NewGuid():N}"[..20],
            ServerName = Dovecot.Host,
            ServerPort = port ?? Dovecot.Port,
            Security = ConnectionSecurity.None,
            LoginUsername = username,
            Password = password,
            PollIntervalMinutes = 60,
        }, CancellationToken.None);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Select(e => $"{e.Key}: {e.Value}")));
        return saved.Id!.Value;
    }

    /// <summary>A Dovecot account and a mailbox for it whose password is wrong: every check fails at login.</summary>
    public async Task<(Guid MailboxId, string Username, string Password)> FailingLoginAsync()
    {
        var (username, password) = await Dovecot.CreateAccountAsync();
        return (await CreateMailboxAsync(username, "wrong-password"), username, password);
    }

    /// <summary>Changes a mailbox behind the app's back, as an administrator fixing a server or password would.</summary>
    public async Task ChangeMailboxAsync(Guid mailboxId, string? password = null, int? port = null)
    {
        await using var db = await Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var mailbox = await db.Mailboxes.SingleAsync(m => m.Id == mailboxId);
        if (password is not null)
        {
            mailbox.ProtectedPassword = Service<MailboxPasswords>().Protect(password);
        }

        if (port is { } newPort)
        {
            mailbox.ServerPort = newPort;
        }

        await db.SaveChangesAsync();
    }

    public async Task<CheckRun> CheckAsync(Guid mailboxId) =>
        await Service<MailboxCheckJob>().CheckAsync(mailboxId, manual: false, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

    public async Task CheckTimesAsync(Guid mailboxId, int times)
    {
        for (var i = 0; i < times; i++)
        {
            Assert.Equal(CheckRunStatus.Completed, (await CheckAsync(mailboxId)).Status);
        }
    }

    public async Task<EventRule> SaveRuleAsync(Action<EventRule> configure)
    {
        var admin = await App.FindUserAsync(ImapEventsApp.AdminEmail);
        var rule = new EventRule { Name = $"Rule {Guid.NewGuid():N}", EventType = ImapEventType.LoginFailed };
        configure(rule);
        var saved = await Service<RuleAdministration>().CreateAsync(admin.Id, rule, CancellationToken.None);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Select(e => $"{e.Key}: {e.Value}")));
        return (await Service<RuleAdministration>().GetAsync(saved.Id!.Value, CancellationToken.None))!;
    }

    /// <summary>A Call Webhook action to the receiver, under a path of its own so each test counts only its requests.</summary>
    public RuleAction Webhook(string path)
    {
        var action = RuleAction.Create(ActionKind.CallWebhook);
        action.Url = Receiver.Url(path);
        action.NewSecret = WebhookSecrets.Generate();
        return action;
    }

    public RuleAction WebPage(string path)
    {
        var action = RuleAction.Create(ActionKind.CallWebPage);
        action.Url = Receiver.Url(path);
        return action;
    }

    public async Task<List<Delivery>> DeliveriesAsync(Guid ruleId)
    {
        await using var db = await Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Deliveries.AsNoTracking().Where(d => d.RuleId == ruleId).OrderBy(d => d.CreatedAt).ToListAsync();
    }

    /// <summary>Runs the job of every delivery of the rule still pending, as Hangfire's workers would.</summary>
    public async Task DeliverAsync(Guid ruleId)
    {
        foreach (var delivery in (await DeliveriesAsync(ruleId)).Where(d => d.Status == DeliveryStatus.Pending))
        {
            await Service<DeliveryJob>().RunAsync(delivery.Id, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    public IReadOnlyList<ReceivedRequest> RequestsTo(string path) => Receiver.Requests.Where(r => r.Path == path).ToList();

    public static JsonElement Data(ReceivedRequest request) => JsonDocument.Parse(request.Body).RootElement.GetProperty("data");

    public async Task<Incident> IncidentOfAsync(Guid mailboxId)
    {
        await using var db = await Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Incidents.AsNoTracking().Where(i => i.MailboxId == mailboxId).OrderByDescending(i => i.OpenedAt).FirstAsync();
    }

    public async Task<List<IncidentChange>> ChangesAsync(Guid incidentId)
    {
        await using var db = await Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.IncidentChanges.AsNoTracking().Where(c => c.IncidentId == incidentId).OrderBy(c => c.Id).ToListAsync();
    }

    public async Task AcknowledgeAsync(Guid incidentId, string note)
    {
        var admin = await App.FindUserAsync(ImapEventsApp.AdminEmail);
        await using var db = await Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var incident = await db.Incidents.SingleAsync(i => i.Id == incidentId);
        db.IncidentChanges.Add(incident.Acknowledge(admin.Id, admin.Email!, note, DateTimeOffset.UtcNow));
        await db.SaveChangesAsync();
    }
}
