namespace ImapEvents.Core.Actions;

/// <summary>Which of a rule's two ordered lists an action is in: error keys, notices and the history name it by its list and place.</summary>
public enum ActionList
{
    /// <summary>The rule's Actions, run when it fires.</summary>
    Main = 0,

    /// <summary>The rule's Escalation actions, run once when an incident it notified about is still open after "Escalate after M minutes".</summary>
    Escalation = 1,
}

public static class ActionListNames
{
    /// <summary>How an action of this list is named at the start of a sentence or key: "Action 2", "Escalation action 1".</summary>
    public static string ActionName(this ActionList list, int index) => list switch
    {
        ActionList.Main => $"Action {index + 1}",
        ActionList.Escalation => $"Escalation action {index + 1}",
    };
}
