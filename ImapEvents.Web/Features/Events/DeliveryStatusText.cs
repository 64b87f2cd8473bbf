using ImapEvents.Infrastructure.Actions;
using ImapEvents.Infrastructure.Events;
using MudBlazor;

namespace ImapEvents.Web.Features.Events;

/// <summary>How a delivery's state reads on the Events page and the dashboard.</summary>
public static class DeliveryStatusText
{
    public static string Describe(DeliveryRow delivery) => delivery.Status switch
    {
        DeliveryStatus.Pending => "Queued",
        DeliveryStatus.Sending => $"Sending (attempt {delivery.Attempts})",
        DeliveryStatus.Retrying => $"Retrying after attempt {delivery.Attempts}",
        DeliveryStatus.Delivered => delivery.LastResponseCode is { } code ? $"Delivered ({code})" : "Delivered",
        DeliveryStatus.Failed => $"Failed after {delivery.Attempts} attempt{(delivery.Attempts == 1 ? "" : "s")}",
        DeliveryStatus.Suppressed => "Suppressed by max frequency",
    };

    /// <summary>The state's name in the Events page's Delivery filter.</summary>
    public static string FilterName(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Pending => "Queued",
        DeliveryStatus.Sending => "Sending",
        DeliveryStatus.Retrying => "Retrying",
        DeliveryStatus.Delivered => "Delivered",
        DeliveryStatus.Failed => "Failed",
        DeliveryStatus.Suppressed => "Suppressed by max frequency",
    };

    /// <summary>Why a delivery was made, when it was not the event itself; null when it was.</summary>
    public static string? TriggerName(DeliveryTrigger trigger) => trigger switch
    {
        DeliveryTrigger.Event => null,
        DeliveryTrigger.Recovery => "recovery",
        DeliveryTrigger.Escalation => "escalation",
        DeliveryTrigger.MaintenanceEnded => "after maintenance",
    };

    public static Color ColorOf(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Delivered => Color.Success,
        DeliveryStatus.Failed => Color.Error,
        DeliveryStatus.Retrying => Color.Warning,
        DeliveryStatus.Pending or DeliveryStatus.Sending => Color.Info,
        DeliveryStatus.Suppressed => Color.Default,
    };
}
