using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;

namespace ImapEvents.Core.Incidents;

/// <summary>Why a rule that matched an event did not fire for it.</summary>
public enum RuleMatchHold
{
    Snoozed = 1,

    /// <summary>A maintenance window covered the mailbox; owed when the window ends and the mailbox still fails.</summary>
    InMaintenance = 2,

    /// <summary>Someone acknowledged the incident: only its recovery is notified.</summary>
    Acknowledged = 3,

    /// <summary>Fewer consecutive failures than the rule's "Fire after N consecutive failures".</summary>
    WaitingForFailures = 4,

    /// <summary>"Once per incident": the rule notified about this incident (at this failing stage) before.</summary>
    AlreadyNotified = 5,

    /// <summary>
    /// The failure was evaluated only after its incident had closed (its first evaluation failed and a sweep
    /// caught up): a problem that is over is not announced, and no recovery would follow it.
    /// </summary>
    IncidentOver = 6,
}

/// <summary>What a rule already did about one incident.</summary>
/// <param name="StageChangeNumber">The incident's stage-change count at the rule's latest notification.</param>
public readonly record struct PriorNotification(int StageChangeNumber);

/// <summary>The incident options of a rule, as the dispatcher needs them.</summary>
public sealed record IncidentOptions(int FireAfterFailures, NotifyMode Notify, bool NotifyOnRecovery, bool GroupByServer, int? EscalateAfterMinutes)
{
    public static readonly IncidentOptions Default = new(1, NotifyMode.EveryEvent, false, false, null);

    public static IncidentOptions Of(EventRule rule) =>
        new(Math.Max(1, rule.FireAfterFailures), rule.Notify, rule.NotifyOnRecovery, rule.GroupByServer, rule.EscalateAfterMinutes);
}

/// <summary>
/// Whether a rule that matched an event fires for it, given what the incident and the rule's earlier
/// notifications say. Pure, so the dispatcher and "would have fired" decide alike.
/// </summary>
public static class NotificationPolicy
{
    /// <returns>Null when the rule fires; otherwise why it holds back.</returns>
    /// <param name="incidentOver">The event's incident closed before the event was evaluated (never so when replaying history).</param>
    public static RuleMatchHold? Decide(
        IncidentOptions options, ImapEvent imapEvent, bool snoozed, bool acknowledged, PriorNotification? prior, bool incidentOver = false)
    {
        if (imapEvent.IsTest)
        {
            return null;
        }

        if (snoozed)
        {
            return RuleMatchHold.Snoozed;
        }

        if (imapEvent.InMaintenance)
        {
            return RuleMatchHold.InMaintenance;
        }

        // Events stored before incidents existed count as a first failure.
        var failures = Math.Max(1, imapEvent.FailureNumber);
        if (imapEvent.Type.IsFailure())
        {
            if (failures < options.FireAfterFailures)
            {
                return RuleMatchHold.WaitingForFailures;
            }

            if (incidentOver)
            {
                return RuleMatchHold.IncidentOver;
            }

            if (acknowledged)
            {
                return RuleMatchHold.Acknowledged;
            }

            if (options.Notify == NotifyMode.OncePerIncident && prior is { } before && before.StageChangeNumber >= imapEvent.StageChangeNumber)
            {
                return RuleMatchHold.AlreadyNotified;
            }

            return null;
        }

        // A rule on IMAP Recovered with N set is told only of incidents that lasted N failed checks: flapping stays quiet.
        return imapEvent.Type == ImapEventType.Recovered && failures < options.FireAfterFailures
            ? RuleMatchHold.WaitingForFailures
            : null;
    }

    /// <summary>"Also notify on recovery": only for incidents the rule notified about, and not while snoozed or in maintenance.</summary>
    public static bool NotifiesRecovery(IncidentOptions options, ImapEvent recovery, bool snoozed, PriorNotification? prior) =>
        options.NotifyOnRecovery && prior is not null && !snoozed && !recovery.InMaintenance;

    public static string Describe(this RuleMatchHold hold) => hold switch
    {
        RuleMatchHold.Snoozed => "snoozed",
        RuleMatchHold.InMaintenance => "in maintenance",
        RuleMatchHold.Acknowledged => "incident acknowledged",
        RuleMatchHold.WaitingForFailures => "waiting for more failures",
        RuleMatchHold.AlreadyNotified => "already notified",
        RuleMatchHold.IncidentOver => "incident already over",
    };
}
