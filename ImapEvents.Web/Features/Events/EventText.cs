using ImapEvents.Core.Checks;
using ImapEvents.Core.Events;
using ImapEvents.Core.Text;
using MudBlazor;
using ImapEvents.Web.Shared;

namespace ImapEvents.Web.Features.Events;

/// <summary>How an event reads in the lists: its colour, and the line that says what it is about.</summary>
public static class EventText
{
    /// <summary>A failure is an error, a recovery good news, a warning something to look at before it fails.</summary>
    public static Color ColorOf(ImapEvent imapEvent) => imapEvent.IsTest ? Color.Default : imapEvent.Type switch
    {
        ImapEventType.ConnectionFailed or ImapEventType.LoginFailed or ImapEventType.DownloadFailed or ImapEventType.ImportFailed => Color.Error,
        ImapEventType.Recovered => Color.Success,
        ImapEventType.CertificateExpiring or ImapEventType.MailboxStale => Color.Warning,
    };

    /// <summary>The facts of the event's type, above its message on the Events page.</summary>
    public static string Details(ImapEvent imapEvent, ViewerTime viewer) => imapEvent.Type switch
    {
        ImapEventType.ConnectionFailed or ImapEventType.LoginFailed or ImapEventType.DownloadFailed or ImapEventType.ImportFailed =>
            $"{imapEvent.ErrorKind.DisplayName()} · {imapEvent.Stage.DisplayName()} stage",
        ImapEventType.Recovered => $"Down {Downtime(imapEvent)} · {FailedChecks(imapEvent.FailureNumber)} · failing at the {imapEvent.Stage.DisplayName()} stage",
        ImapEventType.CertificateExpiring => $"Certificate expires {Expiry(imapEvent, viewer)} · issued by {imapEvent.CertificateIssuer ?? "an unknown issuer"}",
        ImapEventType.MailboxStale => "No check of this mailbox completed",
    };

    /// <summary>The event in a few words, for the dashboard's short list.</summary>
    public static string Summary(ImapEvent imapEvent, ViewerTime viewer) => imapEvent.Type switch
    {
        ImapEventType.ConnectionFailed or ImapEventType.LoginFailed or ImapEventType.DownloadFailed or ImapEventType.ImportFailed =>
            imapEvent.ErrorKind.DisplayName(),
        ImapEventType.Recovered => $"Down {Downtime(imapEvent)}, {FailedChecks(imapEvent.FailureNumber)}",
        ImapEventType.CertificateExpiring => $"Certificate expires {Expiry(imapEvent, viewer)}",
        ImapEventType.MailboxStale => "No check completed",
    };

    public static string FailedChecks(int count) => count == 1 ? "1 failed check" : $"{count} failed checks";

    private static string Downtime(ImapEvent imapEvent) => imapEvent.Downtime is { } downtime ? DurationText.Of(downtime) : "for an unknown time";

    private static string Expiry(ImapEvent imapEvent, ViewerTime viewer) =>
        imapEvent.CertificateExpiresAt is { } expires ? viewer.Text(expires, "d") : "soon";
}
