using ImapEvents.Core.Checks;
using ImapEvents.Core.Incidents;
using ImapEvents.Core.Text;
using ImapEvents.Infrastructure.Incidents;
using MudBlazor;

namespace ImapEvents.Web.Features.Incidents;

/// <summary>How an incident and its timeline read on the Incidents pages and the dashboard.</summary>
public static class IncidentText
{
    public static string StateName(IncidentState state) => state switch
    {
        IncidentState.Open => "Open",
        IncidentState.Closed => "Closed",
    };

    /// <summary>Open, Recovered, or Closed (the mailbox was disabled or deleted, so no check could tell).</summary>
    public static string Status(IncidentRow row) => row.Incident.IsOpen ? "Open" : row.Recovered ? "Recovered" : "Closed";

    public static Color StatusColor(IncidentRow row) => row.Incident.IsOpen ? Color.Error : row.Recovered ? Color.Success : Color.Default;

    /// <summary>"Log in failed": the stage the latest failed check failed in.</summary>
    public static string Failing(CheckStage stage) => $"{stage.DisplayName()} failed";

    /// <summary>How long it lasted, or has lasted so far.</summary>
    public static string Duration(Incident incident, DateTimeOffset now) =>
        incident.IsOpen ? $"{DurationText.Of(incident.Duration(now))} so far" : DurationText.Of(incident.Duration(now));

    /// <summary>One line of the timeline, in words.</summary>
    public static string Describe(IncidentChange change) => change.Kind switch
    {
        IncidentChangeKind.Opened => $"Opened: {Failing(change.Stage)} ({change.ErrorKind.DisplayName()})",
        IncidentChangeKind.StageChanged => $"Failing stage changed from {change.PreviousStage?.DisplayName() ?? "another"} to {change.Stage.DisplayName()} ({change.ErrorKind.DisplayName()})",
        IncidentChangeKind.ErrorChanged => $"Error changed to {change.ErrorKind.DisplayName()}",
        IncidentChangeKind.Acknowledged => $"Acknowledged by {change.UserName ?? "an administrator"}",
        IncidentChangeKind.Escalated => "Escalated: still open and unacknowledged",
        IncidentChangeKind.Recovered => "Recovered: a check succeeded",
        IncidentChangeKind.Closed => "Closed without a recovery",
        IncidentChangeKind.MaintenanceEnded => "A maintenance window ended while the mailbox was still failing",
    };
}
