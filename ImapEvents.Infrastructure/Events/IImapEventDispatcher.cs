using ImapEvents.Core.Events;

namespace ImapEvents.Infrastructure.Events;

/// <summary>Where every stored event goes next: the event rules (and, through them, the actions).</summary>
public interface IImapEventDispatcher
{
    Task DispatchAsync(ImapEvent imapEvent, CancellationToken cancellationToken);
}
