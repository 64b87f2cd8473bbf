using ImapEvents.Core.Events;

namespace ImapEvents.Infrastructure.Events;

/// <summary>Where every stored event goes next. The event rules plug in here.</summary>
public interface IImapEventDispatcher
{
    Task DispatchAsync(ImapEvent imapEvent, CancellationToken cancellationToken);
}

/// <summary>Until event rules exist, an event is stored and written to the log, nothing more.</summary>
internal sealed class LoggingEventDispatcher(Microsoft.Extensions.Logging.ILogger<LoggingEventDispatcher> logger) : IImapEventDispatcher
{
    public Task DispatchAsync(ImapEvent imapEvent, CancellationToken cancellationToken)
    {
        Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger,
            "{EventType} for mailbox {MailboxName} ({ServerName}:{ServerPort}, user {LoginUsername}): {ErrorMessage}",
            imapEvent.Type.DisplayName(), imapEvent.MailboxName, imapEvent.ServerName, imapEvent.ServerPort,
            imapEvent.LoginUsername, imapEvent.ErrorMessage);
        return Task.CompletedTask;
    }
}
