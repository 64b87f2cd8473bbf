using ImapEvents.Core.Actions;
using ImapEvents.Core.Email;
using ImapEvents.Core.Events;
using ImapEvents.Core.Notifications;
using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Email;
using ImapEvents.Infrastructure.Identity;
using ImapEvents.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using MimeKit;

namespace ImapEvents.Infrastructure.Notifications;

public sealed record ProfileSaveResult(IReadOnlyDictionary<string, string> Errors)
{
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>
/// "My Notification Profile" and the action that uses it: the rule owner's email addresses get the full
/// email, their SMS addresses one short line, both through the SMTP server on the Settings page.
/// </summary>
public sealed class NotificationProfiles(IDbContextFactory<AppDbContext> dbFactory, EmailSender email, TimeProvider time)
{
    private const string EmailPart = "email";
    private const string SmsPart = "sms";

    public async Task<NotificationProfile> GetAsync(string userId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.NotificationProfiles.AsNoTracking().SingleOrDefaultAsync(p => p.UserId == userId, cancellationToken)
            ?? new NotificationProfile { UserId = userId };
    }

    public async Task<ProfileSaveResult> SaveAsync(string userId, NotificationProfile draft, CancellationToken cancellationToken)
    {
        var errors = NotificationProfileValidation.Validate(draft);
        if (errors.Count > 0)
        {
            return new ProfileSaveResult(errors);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var profile = await db.NotificationProfiles.SingleOrDefaultAsync(p => p.UserId == userId, cancellationToken)
            ?? db.NotificationProfiles.Add(new NotificationProfile { UserId = userId }).Entity;
        profile.EmailAddresses = Normalize(draft.EmailAddresses);
        profile.SmsAddresses = Normalize(draft.SmsAddresses);
        profile.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return new ProfileSaveResult(errors);
    }

    /// <summary>Use My Notification Profile for one firing.</summary>
    /// <param name="completedParts">"email" and "sms" once sent; a retry skips them, so nobody gets the same alert twice.</param>
    public async Task<SendResult> NotifyAsync(string ownerId, Guid deliveryId, TemplateValues values, List<string> completedParts, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var owner = await db.Users.AsNoTracking()
            .Where(u => u.Id == ownerId)
            .Select(u => new { u.Email, IsEnabledAdministrator = EnabledAdministrators.Ids(db).Contains(u.Id) })
            .SingleOrDefaultAsync(cancellationToken);
        if (owner is null)
        {
            return SendResult.Failed(
                "The rule's owner no longer exists, so there is no notification profile to use. " +
                "An administrator can take ownership of the rule on the Event rules page (or give it a Send Email action).", permanent: true);
        }

        // Alerts about the mail system go to people who may still see it: not to a demoted or disabled account.
        if (!owner.IsEnabledAdministrator)
        {
            return SendResult.Failed(
                $"The rule's owner {owner.Email} is no longer an enabled administrator, so their notification profile is not used. " +
                "An administrator can take ownership of the rule on the Event rules page; later firings then reach them.", permanent: true);
        }

        var profile = await GetAsync(ownerId, cancellationToken);
        if (profile.IsEmpty)
        {
            return SendResult.Failed($"{owner.Email} has no addresses in their notification profile. They can add some on My Notification Profile, then retry the job.", permanent: true);
        }

        return await SendAsync(profile, deliveryId.ToString("N"), values, completedParts, cancellationToken);
    }

    /// <summary>"Send test notification": the profile as saved, with a made-up event.</summary>
    public async Task<SendResult> SendTestAsync(string userId, CancellationToken cancellationToken)
    {
        var profile = await GetAsync(userId, cancellationToken);
        if (profile.IsEmpty)
        {
            return SendResult.Failed("Add an email or SMS address and save first.");
        }

        var sample = SampleEvents.LoginFailed(time.GetUtcNow(), "Test notification", "This is a test of your notification profile.");
        return await SendAsync(profile, Guid.NewGuid().ToString("N"), new TemplateValues(sample, "Test notification", 0), [], cancellationToken);
    }

    private async Task<SendResult> SendAsync(
        NotificationProfile profile, string messageKey, TemplateValues values, List<string> completedParts, CancellationToken cancellationToken)
    {
        var emails = EmailAddresses.Split(profile.EmailAddresses);
        if (emails.Count > 0 && !completedParts.Contains(EmailPart))
        {
            var sent = await email.SendAsync(message =>
            {
                message.To.AddRange(emails.Select(MailboxAddress.Parse));
                message.Subject = EventTemplate.Render(EventTemplate.DefaultEmailSubject, values).ReplaceLineEndings(" ");
                message.Body = new TextPart("plain") { Text = EventTemplate.Render(EventTemplate.DefaultEmailBody, values) };
                message.MessageId = $"{messageKey}.email@imapevents";
            }, cancellationToken);
            if (!sent.Succeeded)
            {
                return sent;
            }

            completedParts.Add(EmailPart);
        }

        var phones = EmailAddresses.Split(profile.SmsAddresses);
        if (phones.Count > 0 && !completedParts.Contains(SmsPart))
        {
            var text = EventTemplate.Render(EventTemplate.SmsText, values).ReplaceLineEndings(" ");
            var sent = await email.SendAsync(message =>
            {
                message.To.AddRange(phones.Select(MailboxAddress.Parse));
                message.Subject = "";
                message.Body = new TextPart("plain") { Text = text.Length > NotificationProfileValidation.SmsLength ? text[..(NotificationProfileValidation.SmsLength - 1)] + "…" : text };
                message.MessageId = $"{messageKey}.sms@imapevents";
            }, cancellationToken);
            if (!sent.Succeeded)
            {
                return sent;
            }

            completedParts.Add(SmsPart);
        }

        return SendResult.Ok;
    }

    private static string? Normalize(string? addresses)
    {
        var list = EmailAddresses.Split(addresses);
        return list.Count == 0 ? null : string.Join(", ", list);
    }
}
