using ImapEvents.Core.Actions;
using ImapEvents.Core.Email;
using ImapEvents.Core.Mailboxes;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Core.Notifications;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Email;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Infrastructure.Rules;
using ImapEvents.Infrastructure.Notifications;
using ImapEvents.Infrastructure.Persistence;
using ImapEvents.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using netDumbster.smtp;

namespace ImapEvents.Tests.Infrastructure;

/// <summary>Send Email and the SMTP settings, against a real SMTP server on loopback (netDumbster).</summary>
public sealed class EmailDeliveryTests(ActionFixture fixture) : IClassFixture<ActionFixture>, IDisposable
{
    private readonly SimpleSmtpServer smtp = SimpleSmtpServer.Start();

    public void Dispose() => smtp.Dispose();

    private static RuleAction Email(string recipients, string? subject = null, string? body = null)
    {
        var action = RuleAction.Create(ActionKind.SendEmail);
        action.Recipients = recipients;
        action.Subject = subject;
        action.Message = body;
        action.MaxFrequency = null;
        return action;
    }

    private async Task UseSmtpAsync(int port, string? username = null, string? password = null)
    {
        var saved = await fixture.Service<SmtpSettingsStore>().SaveAsync(
            ImapEventsApp.AdminEmail,
            new SmtpSettings { Host = "127.0.0.1", Port = port, Security = ConnectionSecurity.None, Username = username, FromAddress = "imapevents@example.com", FromName = "ImapEvents" },
            password,
            default);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Select(e => $"{e.Key}: {e.Value}")));
    }

    [Fact]
    public async Task SendEmail_ReachesEveryRecipient_WithTheTemplatesFilledIn()
    {
        await UseSmtpAsync(smtp.Configuration.Port);
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Email("oncall@example.com; it-team@example.com", "{EventType} on {ServerName}"));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await fixture.RunJobAsync(delivery.Id);

        var message = Assert.Single(smtp.ReceivedEmail);
        Assert.Equal(["oncall@example.com", "it-team@example.com"], message.ToAddresses.Select(a => a.Address));
        Assert.Equal("imapevents@example.com", message.FromAddress.Address);
        Assert.Equal("IMAP Login Failed on imap.example.com", message.Headers["Subject"]);
        Assert.Equal("auto-generated", message.Headers["Auto-Submitted"]);
        var body = message.MessageParts[0].BodyData;
        Assert.Contains($"Login username: {user}", body, StringComparison.Ordinal);
        Assert.Contains("Error:          Authentication failed.", body, StringComparison.Ordinal);
        Assert.Equal(DeliveryStatus.Delivered, (await fixture.DeliveryAsync(delivery.Id)).Status);
    }

    [Fact]
    public async Task AnSmtpServerThatIsDown_IsRetried_AndTheErrorSaysWhichServer()
    {
        var closedPort = smtp.Configuration.Port;
        smtp.Stop();
        await UseSmtpAsync(closedPort);
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Email("oncall@example.com"));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await Assert.ThrowsAsync<DeliveryFailedException>(() => fixture.RunJobAsync(delivery.Id));

        var retrying = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Retrying, retrying.Status);
        Assert.StartsWith($"Could not send through the SMTP server 127.0.0.1:{closedPort}", retrying.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHangingSmtpServer_FailsTheAttemptAfterTheTimeout()
    {
        await using var silent = new SilentListener();
        await UseSmtpAsync(silent.Port);
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Email("oncall@example.com"));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await Assert.ThrowsAsync<DeliveryFailedException>(() => fixture.RunJobAsync(delivery.Id));

        Assert.Equal($"The SMTP server 127.0.0.1:{silent.Port} did not answer within 2 s.", (await fixture.DeliveryAsync(delivery.Id)).LastError);
    }

    [Fact]
    public async Task WithNoSmtpServerConfigured_TheEmailWaitsAndSaysWhereToSetOne()
    {
        await using (var db = await fixture.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            await db.SmtpSettings.ExecuteDeleteAsync();
        }

        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Email("oncall@example.com"));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await Assert.ThrowsAsync<DeliveryFailedException>(() => fixture.RunJobAsync(delivery.Id));

        Assert.Equal(EmailSender.NotConfigured, (await fixture.DeliveryAsync(delivery.Id)).LastError);
    }

    [Fact]
    public async Task SmtpSettings_AreValidatedByLabel_AndThePasswordIsStoredOnlyAsCiphertext()
    {
        var store = fixture.Service<SmtpSettingsStore>();
        var bad = await store.SaveAsync(ImapEventsApp.AdminEmail, new SmtpSettings { Host = "smtp://mail", Port = 0, Username = "relay", FromAddress = "not an address" }, null, default);

        Assert.Equal(["From Address", "Password", "SMTP Port", "SMTP Server"], bad.Errors.Keys.Order(StringComparer.Ordinal));

        await UseSmtpAsync(smtp.Configuration.Port, "relay", "relay-secret-123");
        var stored = await store.GetAsync(default);
        Assert.NotNull(stored.ProtectedPassword);
        Assert.DoesNotContain("relay-secret-123", stored.ProtectedPassword, StringComparison.Ordinal);
        Assert.Equal("relay-secret-123", store.PasswordOf(stored));
        Assert.Equal(ImapEventsApp.AdminEmail, stored.UpdatedBy);
    }

    [Fact]
    public async Task SendTestEmail_UsesTheFormAsTyped_ButNeverSendsTheStoredPasswordToAnotherServer()
    {
        await UseSmtpAsync(smtp.Configuration.Port);
        var sender = fixture.Service<EmailSender>();
        var form = await fixture.Service<SmtpSettingsStore>().GetAsync(default);

        var sent = await sender.SendTestAsync(form, null, "admin@example.com", default);

        Assert.True(sent.Sent?.Succeeded, sent.Sent?.Error);
        var message = Assert.Single(smtp.ReceivedEmail);
        Assert.Equal("ImapEvents test email", message.Headers["Subject"]);

        await UseSmtpAsync(smtp.Configuration.Port, "relay", "relay-secret-123");
        var stored = await fixture.Service<SmtpSettingsStore>().GetAsync(default);
        var elsewhere = new SmtpSettings { Host = "smtp.attacker.example", Port = stored.Port, Security = stored.Security, Username = stored.Username, FromAddress = stored.FromAddress };
        var refused = await sender.SendTestAsync(elsewhere, null, "nobody", default);

        Assert.Null(refused.Sent);
        Assert.StartsWith("Enter the password again", refused.Errors["Password"], StringComparison.Ordinal);
        Assert.StartsWith("\"nobody\" is not an email address", refused.Errors[EmailSender.TestRecipient], StringComparison.Ordinal);
    }

    private async Task<string> SaveAdminProfileAsync(string? emails, string? sms)
    {
        var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);
        var saved = await fixture.Service<NotificationProfiles>().SaveAsync(admin.Id, new NotificationProfile { EmailAddresses = emails, SmsAddresses = sms }, default);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Select(e => $"{e.Key}: {e.Value}")));
        return admin.Id;
    }

    [Fact]
    public async Task UseMyNotificationProfile_ReachesTheOwnersEmailAddresses_AndTheirPhonesWithOneShortLine()
    {
        await UseSmtpAsync(smtp.Configuration.Port);
        await SaveAdminProfileAsync("me@example.com; me@home.example.com", "5551234567@sms.example.net");
        var user = ActionFixture.NewUser();
        var action = RuleAction.Create(ActionKind.UseMyNotificationProfile);
        Assert.Equal(TimeSpan.FromMinutes(15), action.MaxFrequency);
        await fixture.SaveRuleAsync(user, action);
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await fixture.RunJobAsync(delivery.Id);

        Assert.Equal(DeliveryStatus.Delivered, (await fixture.DeliveryAsync(delivery.Id)).Status);
        var messages = smtp.ReceivedEmail;
        Assert.Equal(2, messages.Length);
        var email = messages.Single(m => m.ToAddresses.Any(a => a.Address == "me@example.com"));
        Assert.Equal(["me@example.com", "me@home.example.com"], email.ToAddresses.Select(a => a.Address));
        Assert.Contains($"Login username: {user}", email.MessageParts[0].BodyData, StringComparison.Ordinal);
        var sms = messages.Single(m => m.ToAddresses.Any(a => a.Address == "5551234567@sms.example.net"));
        var text = sms.MessageParts[0].BodyData.Trim();
        Assert.StartsWith("IMAP Login Failed: Support (", text, StringComparison.Ordinal);
        Assert.InRange(text.Length, 1, NotificationProfileValidation.SmsLength);
    }

    [Fact]
    public async Task UseMyNotificationProfile_WithAnEmptyProfile_FailsAndSaysWhoMustFillItIn()
    {
        await UseSmtpAsync(smtp.Configuration.Port);
        await SaveAdminProfileAsync(null, null);
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, RuleAction.Create(ActionKind.UseMyNotificationProfile));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await fixture.RunJobAsync(delivery.Id);

        var failed = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Failed, failed.Status);
        Assert.StartsWith($"{ImapEventsApp.AdminEmail} has no addresses in their notification profile", failed.LastError, StringComparison.Ordinal);
        Assert.Empty(smtp.ReceivedEmail);
    }

    [Theory]
    [InlineData("demoted")]
    [InlineData("disabled")]
    public async Task UseMyNotificationProfile_OfAnOwnerNoLongerAnEnabledAdministrator_SendsNothing_UntilAnotherTakesOwnership(string change)
    {
        await UseSmtpAsync(smtp.Configuration.Port);
        var ownerEmail = $"owner-{change}@example.test";
        await fixture.App.CreateUserAsync(ownerEmail, "owner-password-123", Roles.SystemAdministrator);
        var owner = await fixture.App.FindUserAsync(ownerEmail);
        Assert.True((await fixture.Service<NotificationProfiles>().SaveAsync(owner.Id, new NotificationProfile { EmailAddresses = "former-owner@example.com" }, default)).Succeeded);
        var adminId = await SaveAdminProfileAsync("new-owner@example.com", null);
        var user = ActionFixture.NewUser();
        var action = RuleAction.Create(ActionKind.UseMyNotificationProfile);
        action.MaxFrequency = null;
        var rule = new EventRule { Name = $"Owned by the {change} administrator", EventType = ImapEventType.LoginFailed, LoginUsername = user, Actions = [action] };
        var ruleId = (await fixture.Service<RuleAdministration>().CreateAsync(owner.Id, rule, default)).Id!.Value;
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserAdministration>();
            var changed = change == "disabled"
                ? await users.SetDisabledAsync(adminId, owner.Id, true, default)
                : await users.SetRolesAsync(adminId, owner.Id, [Roles.Agent], default);
            Assert.True(changed.Succeeded);
        }

        var refused = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        await fixture.RunJobAsync(refused.Id);

        // Failed for good, once, saying why and what to do; nothing reached the former administrator.
        var failed = await fixture.DeliveryAsync(refused.Id);
        Assert.Equal(DeliveryStatus.Failed, failed.Status);
        Assert.Equal(1, failed.Attempts);
        Assert.Equal(
            $"The rule's owner {ownerEmail} is no longer an enabled administrator, so their notification profile is not used. " +
            "An administrator can take ownership of the rule on the Event rules page; later firings then reach them.",
            failed.LastError);
        Assert.Empty(smtp.ReceivedEmail);

        Assert.True((await fixture.Service<RuleAdministration>().TakeOwnershipAsync(adminId, ruleId, null, default)).Succeeded);
        var next = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        await fixture.RunJobAsync(next.Id);

        Assert.Equal(DeliveryStatus.Delivered, (await fixture.DeliveryAsync(next.Id)).Status);
        Assert.Equal(["new-owner@example.com"], Assert.Single(smtp.ReceivedEmail).ToAddresses.Select(a => a.Address));
    }

    [Fact]
    public async Task ANotificationProfile_IsValidatedByLabel()
    {
        var admin = await fixture.App.FindUserAsync(ImapEventsApp.AdminEmail);

        var result = await fixture.Service<NotificationProfiles>().SaveAsync(admin.Id, new NotificationProfile { EmailAddresses = "me@example.com, me", SmsAddresses = "555 1234" }, default);

        Assert.StartsWith("\"me\" is not an email address", result.Errors["Email Addresses"], StringComparison.Ordinal);
        Assert.StartsWith("\"555 1234\" is not an email address", result.Errors["SMS Addresses"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARefusedRecipient_DoesNotStopTheEmailReachingTheOthers()
    {
        await using var server = new ScriptedSmtpServer { RecipientReply = address => address.StartsWith("gone@", StringComparison.Ordinal) ? "550 5.1.1 No such user" : null };
        await UseSmtpAsync(server.Port);
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Email("oncall@example.com, gone@example.com, it@example.com"));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await fixture.RunJobAsync(delivery.Id);

        var delivered = await fixture.DeliveryAsync(delivery.Id);
        Assert.Equal(DeliveryStatus.Delivered, delivered.Status);
        Assert.Equal("Sent, but the SMTP server refused gone@example.com (550 5.1.1 No such user).", delivered.LastError);
        Assert.Equal(["oncall@example.com", "it@example.com"], Assert.Single(server.Messages).Recipients);
    }

    [Fact]
    public async Task WhenEveryRecipientIsRefusedForGood_TheDeliveryFails_ButADeferralIsRetried()
    {
        await using var server = new ScriptedSmtpServer { RecipientReply = _ => "550 5.1.1 No such user" };
        await UseSmtpAsync(server.Port);
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, Email("gone@example.com"));
        var refused = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        await fixture.RunJobAsync(refused.Id);
        Assert.Equal(DeliveryStatus.Failed, (await fixture.DeliveryAsync(refused.Id)).Status);

        server.RecipientReply = _ => "451 4.3.0 Try again later";
        var deferred = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));
        await Assert.ThrowsAsync<DeliveryFailedException>(() => fixture.RunJobAsync(deferred.Id));
        Assert.Equal(DeliveryStatus.Retrying, (await fixture.DeliveryAsync(deferred.Id)).Status);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task AProfileWhoseSmsPartFailed_SendsOnlyTheSmsOnTheRetry()
    {
        await using var server = new ScriptedSmtpServer { RecipientReply = address => address.Contains("@sms.", StringComparison.Ordinal) ? "451 4.3.0 Try again later" : null };
        await UseSmtpAsync(server.Port);
        await SaveAdminProfileAsync("me@example.com", "5551234567@sms.example.net");
        var user = ActionFixture.NewUser();
        await fixture.SaveRuleAsync(user, RuleAction.Create(ActionKind.UseMyNotificationProfile));
        var delivery = Assert.Single(await fixture.DeliveriesAsync((await fixture.RaiseAsync(user)).Id));

        await Assert.ThrowsAsync<DeliveryFailedException>(() => fixture.RunJobAsync(delivery.Id));
        Assert.Equal(["email"], (await fixture.DeliveryAsync(delivery.Id)).CompletedParts);
        server.RecipientReply = _ => null;
        await fixture.RunJobAsync(delivery.Id);

        Assert.Equal(DeliveryStatus.Delivered, (await fixture.DeliveryAsync(delivery.Id)).Status);
        Assert.Equal(
            [["me@example.com"], ["5551234567@sms.example.net"]],
            server.Messages.Select(m => m.Recipients.ToArray()).ToArray());
    }

    [Fact]
    public async Task SavingSmtpSettingsForAnotherServer_AsksForThePasswordAgain()
    {
        await UseSmtpAsync(smtp.Configuration.Port, "relay", "relay-secret-123");
        var store = fixture.Service<SmtpSettingsStore>();
        var stored = await store.GetAsync(default);

        var moved = await store.SaveAsync(ImapEventsApp.AdminEmail, new SmtpSettings
        {
            Host = "smtp.elsewhere.example", Port = stored.Port, Security = stored.Security, Username = stored.Username, FromAddress = stored.FromAddress,
        }, null, default);

        Assert.StartsWith("Enter the password again", moved.Errors["Password"], StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", (await store.GetAsync(default)).Host);
        Assert.True((await store.SaveAsync(ImapEventsApp.AdminEmail, stored, null, default)).Succeeded, "the same server keeps its password");
    }
}
