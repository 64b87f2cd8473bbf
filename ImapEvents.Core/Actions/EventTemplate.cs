using System.Globalization;
using System.Text;
using ImapEvents.Core.Events;
using ImapEvents.Core.Text;

namespace ImapEvents.Core.Actions;

/// <summary>One mailbox of a "Group by server" notification.</summary>
public sealed record GroupedMailbox(string MailboxName, string LoginUsername, string ErrorMessage, DateTimeOffset OccurredAt);

/// <summary>The values an action can put into its URL, line or message: the event's fields and the firing's.</summary>
/// <param name="IncidentUrl">The incident's page in ImapEvents, when the event belongs to one.</param>
/// <param name="Group">The mailboxes a grouped notification lists; null for one event.</param>
/// <param name="Trigger">Why this firing was made ("event", "recovery", "escalation", "maintenance_ended"), for receivers that tell them apart.</param>
public sealed record TemplateValues(
    ImapEvent Event, string RuleName, int SuppressedCount, string? IncidentUrl = null, IReadOnlyList<GroupedMailbox>? Group = null,
    string Trigger = "event")
{
    /// <summary>Every placeholder with its value, in the order the documentation lists them.</summary>
    public IEnumerable<KeyValuePair<string, string>> All() =>
        EventTemplate.Placeholders.Select(name => KeyValuePair.Create(name, this[name]));

    public string this[string placeholder] => placeholder switch
    {
        "EventType" => Event.Type.DisplayName(),
        "ServerName" => Event.ServerName,
        "ServerPort" => Event.ServerPort.ToString(CultureInfo.InvariantCulture),
        "LoginUsername" => Event.LoginUsername,
        "Ssl" => Event.Ssl ? "true" : "false",
        "OccurredAt" => Event.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        "Error" => Event.ErrorMessage,
        // A grouped notification names every mailbox where one event names its own, so untouched templates still say it all.
        "MailboxName" => Group is { Count: > 1 } ? $"{Group.Count} mailboxes: {string.Join(", ", Group.Select(m => m.MailboxName))}" : Event.MailboxName,
        "RuleName" => RuleName,
        "SuppressedCount" => SuppressedCount.ToString(CultureInfo.InvariantCulture),
        "Downtime" => Event.Downtime is { } downtime ? DurationText.Of(downtime) : "",
        // A failure outside any incident (a test event) is still one failed check.
        "FailedChecks" => (Event.Type.IsFailure() ? Math.Max(1, Event.FailureNumber) : Event.FailureNumber).ToString(CultureInfo.InvariantCulture),
        "IncidentUrl" => IncidentUrl ?? "",
        "CertificateExpires" => Event.CertificateExpiresAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "",
        "Mailboxes" => Group is null
            ? Event.MailboxName
            : string.Join("; ", Group.Select(m => $"{m.MailboxName} ({m.LoginUsername}): {m.ErrorMessage}")),
        "MailboxCount" => (Group?.Count ?? 1).ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentOutOfRangeException(nameof(placeholder), placeholder, "Not a template placeholder."),
    };
}

/// <summary>
/// Text with placeholders in braces, like "{EventType} on {ServerName}". <c>{{</c> and <c>}}</c> write a
/// literal brace. An unknown placeholder is a validation error, never silently left in the output.
/// </summary>
public static class EventTemplate
{
    public static readonly IReadOnlyList<string> Placeholders =
    [
        "EventType", "ServerName", "ServerPort", "LoginUsername", "Ssl", "OccurredAt", "Error", "MailboxName", "RuleName", "SuppressedCount",
        "Downtime", "FailedChecks", "IncidentUrl", "CertificateExpires", "Mailboxes", "MailboxCount",
    ];

    public const string DefaultMessage =
        "{OccurredAt} {EventType}: mailbox {MailboxName} ({LoginUsername} at {ServerName}:{ServerPort}, SSL {Ssl}): {Error} (rule {RuleName}, {SuppressedCount} suppressed)";

    public const string DefaultEmailSubject = "{EventType}: {MailboxName} ({ServerName})";

    public const string DefaultEmailBody = """
        {EventType} at {OccurredAt} (UTC)

        Mailbox:        {MailboxName}
        Server:         {ServerName}:{ServerPort} (SSL {Ssl})
        Login username: {LoginUsername}
        Error:          {Error}

        Rule: {RuleName}. Firings held back by its max frequency since the last email: {SuppressedCount}.
        """;

    /// <summary>The one line an SMS address gets (cut to 160 characters).</summary>
    public const string SmsText = "{EventType}: {MailboxName} ({LoginUsername}@{ServerName}): {Error}";

    private static readonly HashSet<string> Known = new(Placeholders, StringComparer.Ordinal);

    /// <returns>Null when the template is well formed, otherwise what is wrong with it.</returns>
    public static string? Problem(string? template)
    {
        if (string.IsNullOrEmpty(template))
        {
            return null;
        }

        string? problem = null;
        Walk(template, _ => { }, name =>
        {
            if (problem is null && !Known.Contains(name))
            {
                problem = $"{{{name}}} is not a placeholder; use {string.Join(", ", Placeholders.Select(p => "{" + p + "}"))}.";
            }
        }, unclosed => problem ??= $"A brace is not closed at \"{unclosed}\"; write {{{{ or }}}} for a literal brace.");
        return problem;
    }

    /// <param name="encode">Applied to each value (for example URL encoding), never to the template's own text.</param>
    public static string Render(string template, TemplateValues values, Func<string, string>? encode = null)
    {
        var output = new StringBuilder(template.Length + 64);
        Walk(
            template,
            literal => output.Append(literal),
            name =>
            {
                var value = Known.Contains(name) ? values[name] : "{" + name + "}";
                output.Append(encode is null ? value : encode(value));
            },
            unclosed => output.Append(unclosed));
        return output.ToString();
    }

    private static void Walk(string template, Action<string> literal, Action<string> placeholder, Action<string> unclosed)
    {
        var i = 0;
        while (i < template.Length)
        {
            var c = template[i];
            if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c)
            {
                literal(c.ToString());
                i += 2;
            }
            else if (c == '{')
            {
                var end = template.IndexOf('}', i + 1);
                var nextOpen = template.IndexOf('{', i + 1);
                if (end < 0 || (nextOpen >= 0 && nextOpen < end))
                {
                    unclosed(template[i..(end < 0 ? template.Length : nextOpen)]);
                    i = end < 0 ? template.Length : nextOpen;
                }
                else
                {
                    placeholder(template[(i + 1)..end]);
                    i = end + 1;
                }
            }
            else
            {
                // Plain text up to the next brace; a lone closing brace is kept as written.
                var next = template.IndexOfAny(['{', '}'], i + 1);
                var stop = next < 0 ? template.Length : next;
                literal(template[i..stop]);
                i = stop;
            }
        }
    }
}
