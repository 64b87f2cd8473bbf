using ImapEvents.Core.Checks;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Infrastructure.Incidents;
using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>Acknowledging incidents, and what disabling or deleting a mailbox does to its incident, with real checks against Dovecot.</summary>
public sealed class IncidentAdministrationTests(CheckFixture fixture) : IClassFixture<CheckFixture>
{
    private IncidentAdministration Incidents => fixture.Service<IncidentAdministration>();

    [Fact]
    public async Task Acknowledge_RecordsWhoWhenAndTheNote_OnceOnly_NotOnAClosedIncident_AndTheNextIncidentStartsUnacknowledged()
    {
        var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, "wrong-password"));
        await fixture.CheckAsync(mailboxId);
        var first = await OpenIncidentAsync(mailboxId);

        var acknowledged = await Incidents.AcknowledgeAsync(admin.Id, first.Id, "  Password rotated by IT, fixing it now.  ", default);
        var again = await Incidents.AcknowledgeAsync(admin.Id, first.Id, "Me too", default);

        Assert.True(acknowledged.Succeeded, string.Join(" ", acknowledged.Errors.Select(e => e.Message)));
        var stored = await IncidentAsync(first.Id);
        Assert.Equal(admin.Id, stored.AcknowledgedById);
        Assert.Equal(ImapEventsApp.AdminEmail, stored.AcknowledgedBy);
        Assert.Equal("Password rotated by IT, fixing it now.", stored.AcknowledgementNote);
        Assert.NotNull(stored.AcknowledgedAt);
        var audit = Assert.Single(await ChangesAsync(first.Id), c => c.Kind == IncidentChangeKind.Acknowledged);
        Assert.Equal(ImapEventsApp.AdminEmail, audit.UserName);
        Assert.Equal("Password rotated by IT, fixing it now.", audit.Message);
        Assert.Equal(stored.AcknowledgedAt, audit.At);
        Assert.False(again.Succeeded);
        Assert.Contains($"{ImapEventsApp.AdminEmail} acknowledged this incident already", Assert.Single(again.Errors).Message, StringComparison.Ordinal);

        // The password is fixed: the next check closes the incident, acknowledged as it was.
        await SetPasswordAsync(mailboxId, user, password);
        await fixture.CheckAsync(mailboxId);
        var recovered = await IncidentAsync(first.Id);
        Assert.NotNull(recovered.ClosedAt);
        Assert.Equal(ImapEventsApp.AdminEmail, recovered.AcknowledgedBy);
        var closed = await Incidents.AcknowledgeAsync(admin.Id, first.Id, null, default);
        Assert.False(closed.Succeeded);
        Assert.Contains("This incident is closed", Assert.Single(closed.Errors).Message, StringComparison.Ordinal);

        // A new failure is a new incident, which nobody has acknowledged.
        await SetPasswordAsync(mailboxId, user, "wrong-again");
        await fixture.CheckAsync(mailboxId);
        var second = await OpenIncidentAsync(mailboxId);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Null(second.AcknowledgedAt);
        Assert.Null(second.AcknowledgedBy);
    }

    [Fact]
    public async Task TwoAdministrators_AcknowledgingAtOnce_OneWins_AndTheOtherIsToldWho()
    {
        var secondEmail = $"second-{Guid.NewGuid():N}@example.test";
        await fixture.App.CreateUserAsync(secondEmail, "second-admin-password", Roles.SystemAdministrator);
        var admins = new[] { await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail), await fixture.App.FindUserAsync(secondEmail) };
        var incidentId = await AddOpenIncidentAsync();

        for (var round = 0; round < 5; round++)
        {
            var results = await Task.WhenAll(admins.Select(a => Task.Run(() => Incidents.AcknowledgeAsync(a.Id, incidentId, $"Note of {a.Email}", default))));

            Assert.Equal(round == 0 ? 1 : 0, results.Count(r => r.Succeeded));
            var stored = await IncidentAsync(incidentId);
            Assert.Contains(stored.AcknowledgedBy, admins.Select(a => a.Email));
            Assert.Equal($"Note of {stored.AcknowledgedBy}", stored.AcknowledgementNote);
            Assert.All(results.Where(r => !r.Succeeded), r => Assert.Contains($"{stored.AcknowledgedBy} acknowledged this incident already", r.Errors[0].Message, StringComparison.Ordinal));
            Assert.Single(await ChangesAsync(incidentId), c => c.Kind == IncidentChangeKind.Acknowledged);
        }
    }

    [Fact]
    public async Task OnlyAnEnabledAdministrator_MayAcknowledge_AndTheNoteHasALimit()
    {
        var agentEmail = $"agent-{Guid.NewGuid():N}@example.test";
        await fixture.App.CreateUserAsync(agentEmail, "agent-password-123", Roles.Agent);
        var agent = await fixture.App.FindUserAsync(agentEmail);
        var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);
        var incidentId = await AddOpenIncidentAsync();

        var byAgent = await Incidents.AcknowledgeAsync(agent.Id, incidentId, null, default);
        var tooLong = await Incidents.AcknowledgeAsync(admin.Id, incidentId, new string('x', IncidentAdministration.MaxNoteLength + 1), default);
        var missing = await Incidents.AcknowledgeAsync(admin.Id, Guid.NewGuid(), null, default);

        Assert.False(byAgent.Succeeded);
        Assert.Equal(IncidentAdministration.NoteField, Assert.Single(tooLong.Errors).Field);
        Assert.Contains("no longer exists", Assert.Single(missing.Errors).Message, StringComparison.Ordinal);
        Assert.Null((await IncidentAsync(incidentId)).AcknowledgedAt);
    }

    [Fact]
    public async Task DisablingAMailbox_ClosesItsIncident_WithTheReason_AndClearsItsStatus()
    {
        var (user, _) = await fixture.Dovecot.CreateAccountAsync();
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, "wrong-password"));
        await fixture.CheckAsync(mailboxId);
        var incident = await OpenIncidentAsync(mailboxId);
        Assert.Equal(incident.Id, await OpenIncidentIdInStatusAsync(mailboxId));

        Assert.True(await fixture.Service<MailboxAdministration>().SetEnabledAsync(mailboxId, false, default));

        var closed = await IncidentAsync(incident.Id);
        Assert.NotNull(closed.ClosedAt);
        var change = Assert.Single(await ChangesAsync(incident.Id), c => c.Kind == IncidentChangeKind.Closed);
        Assert.Equal(IncidentAdministration.ClosedBecauseDisabled, change.Message);
        Assert.Null(await OpenIncidentIdInStatusAsync(mailboxId));
        var row = (await fixture.Service<IncidentQueries>().GetAsync(incident.Id, default))!;
        Assert.False(row.Recovered);
        Assert.Equal(IncidentAdministration.ClosedBecauseDisabled, row.ClosedReason);
    }

    [Fact]
    public async Task DisablingAMailboxInItsEditor_ClosesItsIncidentToo()
    {
        var (user, _) = await fixture.Dovecot.CreateAccountAsync();
        var mailboxId = await fixture.CreateMailboxAsync(fixture.Settings(user, "wrong-password"));
        await fixture.CheckAsync(mailboxId);
        var incident = await OpenIncidentAsync(mailboxId);
        var mailboxes = fixture.Service<MailboxAdministration>();
        var edit = (await mailboxes.GetForEditAsync(mailboxId, default))!;

        var saved = await mailboxes.UpdateAsync(mailboxId, edit.Settings with { Enabled = false }, edit.Version, default);

        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Values));
        Assert.NotNull((await IncidentAsync(incident.Id)).ClosedAt);
        Assert.Single(await ChangesAsync(incident.Id), c => c.Kind == IncidentChangeKind.Closed && c.Message == IncidentAdministration.ClosedBecauseDisabled);
    }

    [Fact]
    public async Task DeletingAMailbox_ClosesItsIncident_WhichStaysListedUnderTheMailboxName()
    {
        var (user, _) = await fixture.Dovecot.CreateAccountAsync();
        var settings = fixture.Settings(user, "wrong-password");
        var mailboxId = await fixture.CreateMailboxAsync(settings);
        await fixture.CheckAsync(mailboxId);
        var incident = await OpenIncidentAsync(mailboxId);

        Assert.True(await fixture.Service<MailboxAdministration>().DeleteAsync(mailboxId, default));

        var closed = await IncidentAsync(incident.Id);
        Assert.NotNull(closed.ClosedAt);
        Assert.Null(closed.MailboxId);
        Assert.Equal(settings.DisplayName, closed.MailboxName);
        Assert.Single(await ChangesAsync(incident.Id), c => c.Kind == IncidentChangeKind.Closed && c.Message == IncidentAdministration.ClosedBecauseDeleted);
    }

    private async Task<AppDbContext> DbAsync() => await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();

    private async Task<Incident> OpenIncidentAsync(Guid mailboxId)
    {
        await using var db = await DbAsync();
        return await db.Incidents.AsNoTracking().SingleAsync(i => i.MailboxId == mailboxId && i.ClosedAt == null);
    }

    private async Task<Incident> IncidentAsync(Guid id)
    {
        await using var db = await DbAsync();
        return await db.Incidents.AsNoTracking().SingleAsync(i => i.Id == id);
    }

    private async Task<List<IncidentChange>> ChangesAsync(Guid incidentId)
    {
        await using var db = await DbAsync();
        return await db.IncidentChanges.AsNoTracking().Where(c => c.IncidentId == incidentId).OrderBy(c => c.Id).ToListAsync();
    }

    private async Task<Guid?> OpenIncidentIdInStatusAsync(Guid mailboxId)
    {
        await using var db = await DbAsync();
        return await db.MailboxStatuses.Where(s => s.MailboxId == mailboxId).Select(s => s.OpenIncidentId).SingleAsync();
    }

    private async Task SetPasswordAsync(Guid mailboxId, string user, string password)
    {
        var mailboxes = fixture.Service<MailboxAdministration>();
        var edit = (await mailboxes.GetForEditAsync(mailboxId, default))!;
        var saved = await mailboxes.UpdateAsync(mailboxId, edit.Settings with { LoginUsername = user, Password = password }, edit.Version, default);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Values));
    }

    /// <summary>An open incident of a mailbox of its own, stored as a failed check would have left it.</summary>
    private async Task<Guid> AddOpenIncidentAsync()
    {
        var now = DateTimeOffset.UtcNow;
        await using var db = await DbAsync();
        var mailbox = new Mailbox { Id = Guid.NewGuid(), DisplayName = "Seeded", ServerName = "imap.example.com", LoginUsername = "u", Enabled = false, CreatedAt = now, UpdatedAt = now };
        db.Mailboxes.Add(mailbox);
        var (incident, opened) = Incident.Open(
            mailbox.Id, mailbox.DisplayName, mailbox.ServerName, 993, "u", true, CheckStage.Authenticate, CheckErrorKind.CredentialsRejected, "Authentication failed.", now);
        db.Incidents.Add(incident);
        db.IncidentChanges.Add(opened);
        await db.SaveChangesAsync();
        return incident.Id;
    }
}
