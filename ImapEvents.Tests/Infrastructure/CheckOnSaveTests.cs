using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>Saving a mailbox checks it at once (the interval then goes on): the real job server and the real Dovecot.</summary>
public sealed class CheckOnSaveTests : IAsyncLifetime
{
    private readonly TestDatabase database = new();
    private ImapEventsApp app = default!;
    private DovecotServer dovecot = default!;

    public async Task InitializeAsync()
    {
        dovecot = await DovecotServer.GetAsync();
        await database.InitializeAsync();
        app = new ImapEventsApp(database.ConnectionString, ImapEventsApp.WithBootstrapAdmin(new Dictionary<string, string?> { ["Imap:StageTimeout"] = "00:00:05" }));
        _ = app.Services;
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task ANewMailboxWithAWrongPassword_RaisesLoginFailedAtOnce_AndFixingThePasswordChecksItAgainAtOnce()
    {
        var mailboxes = app.Services.GetRequiredService<MailboxAdministration>();
        var (user, password) = await dovecot.CreateAccountAsync();

        // An hour's interval: nothing but the check on save can run within this test.
        var created = await mailboxes.CreateAsync(new()
        {
            DisplayName = "Support",
            ServerName = dovecot.Host,
            ServerPort = dovecot.Port,
            Security = ConnectionSecurity.None,
            LoginUsername = user,
            Password = "not-the-password",
            PollIntervalMinutes = 60,
        }, default);

        Assert.True(created.CheckQueued);
        var id = created.Id!.Value;
        await Eventually.TrueAsync(() => EventsOfAsync(id, ImapEventType.LoginFailed).ContinueWith(t => t.Result == 1), "no IMAP Login Failed event after saving", TimeSpan.FromSeconds(60));

        var edit = (await mailboxes.GetForEditAsync(id, default))!;
        var fixedPassword = await mailboxes.UpdateAsync(id, edit.Settings with { Password = password }, edit.Version, default);

        Assert.True(fixedPassword.CheckQueued);
        // At once, or, when the first check is still finishing, as soon as it is done.
        await Eventually.TrueAsync(async () => await LastOutcomeAsync(id) == CheckOutcome.Succeeded, "the corrected mailbox was not checked at once", TimeSpan.FromSeconds(60));
        Assert.Equal(1, await EventsOfAsync(id, ImapEventType.LoginFailed));
    }

    private async Task<int> EventsOfAsync(Guid mailboxId, ImapEventType type)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Events.CountAsync(e => e.MailboxId == mailboxId && e.Type == type);
    }

    private async Task<CheckOutcome?> LastOutcomeAsync(Guid mailboxId)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.MailboxStatuses.Where(s => s.MailboxId == mailboxId).Select(s => s.LastOutcome).SingleOrDefaultAsync();
    }
}
