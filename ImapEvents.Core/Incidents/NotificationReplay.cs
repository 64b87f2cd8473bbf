using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;

namespace ImapEvents.Core.Incidents;

/// <summary>What a rule would have done about past events.</summary>
/// <param name="Matched">Events the rule's conditions match.</param>
/// <param name="Notifications">How often its actions would have run for them, with its incident options applied (a group counts once).</param>
/// <param name="Recoveries">"Also notify on recovery": incidents it notified about whose recovery it would have notified too.</param>
/// <param name="Escalations">Incidents it notified about that were still open "Escalate after M minutes" later.</param>
public sealed record WouldHaveFired(int Matched, int Notifications, int Recoveries, int Escalations)
{
    public static readonly WouldHaveFired None = new(0, 0, 0, 0);
}

/// <summary>
/// Replays stored events through a rule's incident options, deciding each with <see cref="NotificationPolicy.Decide"/>
/// as the dispatcher does, so "would have fired" counts what the rule would have sent rather than what it matched.
/// </summary>
/// <remarks>
/// Two things are not replayed. Acknowledgements: whether someone would have acknowledged an incident in time
/// depends on notifications that were never sent, so every event is replayed as unacknowledged (an escalation
/// count is the most it could have been). Snoozes: the draft is judged as it would fire from now on.
/// </remarks>
public sealed class NotificationReplay(IncidentOptions options, TimeSpan groupingWindow)
{
    private readonly Dictionary<Guid, PriorNotification> latest = [];
    private readonly Dictionary<Guid, DateTimeOffset> firstNotifiedAt = [];
    private readonly Dictionary<(string Server, int Port, CheckStage Stage), DateTimeOffset> groupsSentAt = [];
    private int matched;
    private int notifications;
    private int recoveries;
    private int escalations;

    public WouldHaveFired Result => new(matched, notifications, recoveries, escalations);

    /// <summary>The incidents the rule would have notified about, for their recoveries and escalations.</summary>
    public IReadOnlyCollection<Guid> NotifiedIncidents => firstNotifiedAt.Keys;

    /// <summary>One stored event that the rule's conditions match; events come in the order they occurred.</summary>
    public void Add(ImapEvent imapEvent)
    {
        matched++;
        var prior = imapEvent.IncidentId is { } incidentId && latest.TryGetValue(incidentId, out var before) ? before : (PriorNotification?)null;
        if (NotificationPolicy.Decide(options, imapEvent, snoozed: false, acknowledged: false, prior) is not null)
        {
            return;
        }

        var sentAt = imapEvent.OccurredAt;
        if (options.GroupByServer)
        {
            // As the dispatcher groups: one notification per server, port and stage, sent when the window that its first failure opened ends.
            var key = (imapEvent.ServerName.ToLowerInvariant(), imapEvent.ServerPort, imapEvent.Stage);
            if (groupsSentAt.TryGetValue(key, out var groupSentAt) && imapEvent.OccurredAt < groupSentAt)
            {
                sentAt = groupSentAt;
            }
            else
            {
                sentAt = imapEvent.OccurredAt + groupingWindow;
                groupsSentAt[key] = sentAt;
                notifications++;
            }
        }
        else
        {
            notifications++;
        }

        if (imapEvent.IncidentId is { } id)
        {
            latest[id] = new PriorNotification(imapEvent.StageChangeNumber);
            firstNotifiedAt.TryAdd(id, sentAt);
        }
    }

    /// <summary>The IMAP Recovered event of an incident in <see cref="NotifiedIncidents"/>.</summary>
    public void AddRecovery(ImapEvent recovery)
    {
        var prior = recovery.IncidentId is { } id && latest.TryGetValue(id, out var before) ? before : (PriorNotification?)null;
        if (NotificationPolicy.NotifiesRecovery(options, recovery, snoozed: false, prior))
        {
            recoveries++;
        }
    }

    /// <summary>How an incident in <see cref="NotifiedIncidents"/> ended (null: still open), for "Escalate after M minutes".</summary>
    public void AddIncidentEnd(Guid incidentId, DateTimeOffset? closedAt, DateTimeOffset now)
    {
        if (options.EscalateAfterMinutes is not { } minutes || !firstNotifiedAt.TryGetValue(incidentId, out var first))
        {
            return;
        }

        var due = first + TimeSpan.FromMinutes(minutes);
        if (due <= now && (closedAt is not { } closed || closed > due))
        {
            escalations++;
        }
    }
}
