namespace ImapEvents.Core.Actions;

/// <summary>What a rule can do when it matches. Each kind has its own sender and settings.</summary>
public enum ActionKind
{
    CallWebPage = 1,
    CallWebhook = 2,
    LogToFile = 3,
    SendEmail = 4,
    UseMyNotificationProfile = 5,
    NotifyExternalProvider = 6,
}

/// <summary>How a Call Web Page action requests the page.</summary>
public enum WebPageMethod
{
    /// <summary>GET with the event's fields as query values.</summary>
    Get = 0,

    /// <summary>POST with the event's fields as an HTML form (application/x-www-form-urlencoded).</summary>
    PostForm = 1,
}

public static class ActionKindNames
{
    /// <summary>The methods as the editor offers them.</summary>
    public static string DisplayName(this WebPageMethod method) => method switch
    {
        WebPageMethod.Get => "GET",
        WebPageMethod.PostForm => "POST form",
    };

    /// <summary>The names administrators know from the source feature.</summary>
    public static string DisplayName(this ActionKind kind) => kind switch
    {
        ActionKind.CallWebPage => "Call Web Page",
        ActionKind.CallWebhook => "Call Webhook",
        ActionKind.LogToFile => "Log to File",
        ActionKind.SendEmail => "Send Email",
        ActionKind.UseMyNotificationProfile => "Use My Notification Profile",
        ActionKind.NotifyExternalProvider => "Notify Events External Provider",
    };

    /// <summary>
    /// The source feature sends files, emails and notification-profile messages "once based on the max
    /// frequency set, regardless of how many times the event is fired"; calls to pages and hooks fire every time.
    /// </summary>
    public static TimeSpan? DefaultMaxFrequency(this ActionKind kind) => kind switch
    {
        ActionKind.CallWebPage => null,
        ActionKind.CallWebhook => null,
        ActionKind.LogToFile => TimeSpan.FromMinutes(15),
        ActionKind.SendEmail => TimeSpan.FromMinutes(15),
        ActionKind.UseMyNotificationProfile => TimeSpan.FromMinutes(15),
        ActionKind.NotifyExternalProvider => null,
    };
}
