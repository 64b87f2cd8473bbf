using ImapEvents.Core.Actions;
using ImapEvents.Core.Email;
using ImapEvents.Infrastructure.Email;
using MimeKit;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>Send Email: the action's subject and body filled in from the event, to its recipients.</summary>
public sealed class EmailActionSender(EmailSender email)
{
    public Task<SendResult> SendAsync(RuleAction action, Guid deliveryId, TemplateValues values, CancellationToken cancellationToken) =>
        email.SendAsync(message =>
        {
            foreach (var address in EmailAddresses.Split(action.Recipients))
            {
                message.To.Add(MailboxAddress.Parse(address));
            }

            message.Subject = EventTemplate.Render(string.IsNullOrWhiteSpace(action.Subject) ? EventTemplate.DefaultEmailSubject : action.Subject, values)
                .ReplaceLineEndings(" ");
            message.Body = new TextPart("plain")
            {
                Text = EventTemplate.Render(string.IsNullOrWhiteSpace(action.Message) ? EventTemplate.DefaultEmailBody : action.Message, values),
            };
            // The same id on every retry: a mail client shows a message that arrived twice once.
            message.MessageId = $"{deliveryId:N}@imapevents";
            message.Headers.Add("X-ImapEvents-Delivery", deliveryId.ToString("N"));
        }, cancellationToken);
}
