using System.Globalization;

namespace ImapEvents.Web.Shared;

/// <summary>
/// The time zone of the person reading the page: every time the UI shows is in it, as their own clock reads, whatever
/// zone the server runs in (often UTC in a container). The browser names its zone in a cookie (viewer-zone.js); the
/// first page of a circuit passes it on (App, Routes). Without one, the server's zone, as before.
/// </summary>
public sealed class ViewerTime
{
    public const string CookieName = "ImapEvents.TimeZone";

    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Local;

    /// <summary>True when the zone is the browser's, not the server's.</summary>
    public bool FromBrowser { get; private set; }

    /// <summary>Takes the browser's zone when it is one this machine knows; anything else (a hand-made cookie) is ignored.</summary>
    public void Use(string? zoneId)
    {
        if (!string.IsNullOrWhiteSpace(zoneId) && zoneId.Length <= 100 && TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone))
        {
            Zone = zone;
            FromBrowser = true;
        }
    }

    public DateTimeOffset Local(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Zone);

    /// <summary>The time as the viewer's clock shows it, "g" (date and time without seconds) unless told otherwise.</summary>
    public string Text(DateTimeOffset at, string format = "g") => Local(at).ToString(format, CultureInfo.CurrentCulture);

    /// <summary>Today and the days before it, as the viewer's calendar has them.</summary>
    public DateOnly Today(DateTimeOffset now) => DateOnly.FromDateTime(Local(now).DateTime);

    /// <summary>The zone's name as a person knows it: Europe/Berlin, or UTC.</summary>
    public string ZoneName => Zone.Id is "Etc/UTC" or "Etc/UCT" or "UCT" or "Etc/Universal" or "Universal" or "Etc/Zulu" or "Zulu" ? "UTC" : Zone.Id;
}
