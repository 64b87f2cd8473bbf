using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Imap;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// The app's services against a database of its own and the real Dovecot, with no job server
/// running, so each test decides when a check runs. Steps time out after 3 seconds; a check imports at most 3 messages.
/// </summary>
public class CheckFixture : IAsyncLifetime
{
    private readonly TestDatabase database = new();

    public ImapEventsApp App { get; private set; } = default!;

    public DovecotServer Dovecot { get; private set; } = default!;

    public string ConnectionString => database.ConnectionString;

    public async Task InitializeAsync()
    {
        Dovecot = await DovecotServer.GetAsync();
        await database.InitializeAsync();
        App = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin(new Dictionary<string, string?>
        {
            ["Jobs:RunServer"] = "false",
            ["Imap:StageTimeout"] = "00:00:03",
            ["Imap:MaxMessagesPerCheck"] = "3",
        }))
        {
            TestServices = ConfigureTestServices,
        };
        _ = App.Services;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await database.DisposeAsync();
    }

    /// <summary>Services that replace the app's own for the tests of a fixture derived from this one.</summary>
    protected virtual void ConfigureTestServices(IServiceCollection services)
    {
    }

    public T Service<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    public MailboxSettings Settings(string username, string password) => new()
    {
        DisplayName = $"Mailbox of {username}",
        ServerName = Dovecot.Host,
        ServerPort = Dovecot.Port,
        Security = ConnectionSecurity.None,
        LoginUsername = username,
        Password = password,
        PollIntervalMinutes = 60,
    };

    public async Task<Guid> CreateMailboxAsync(MailboxSettings settings)
    {
        var saved = await Service<MailboxAdministration>().CreateAsync(settings, CancellationToken.None);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Select(e => $"{e.Key}: {e.Value}")));
        return saved.Id!.Value;
    }

    /// <summary>Runs one check now, with a deadline so a hung check fails the test instead of hanging it.</summary>
    public async Task<CheckRun> CheckAsync(Guid mailboxId) =>
        await Service<MailboxCheckJob>().CheckAsync(mailboxId, manual: true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

    public async Task<List<ImportedMessage>> ImportedAsync(Guid mailboxId)
    {
        await using var db = await Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.ImportedMessages.AsNoTracking().Where(m => m.MailboxId == mailboxId).OrderBy(m => m.Uid).ToListAsync();
    }
}
