using ImapEvents.Core.Mailboxes;

namespace ImapEvents.Core.Maintenance;

/// <summary>What a maintenance window must satisfy. Keys are the field labels administrators see (Name, Starts, …).</summary>
public static class MaintenanceValidation
{
    public const string Name = "Name";
    public const string Repeats = "Repeats";
    public const string Starts = "Starts";
    public const string Ends = "Ends";
    public const string From = "From";
    public const string To = "To";
    public const string TimeZone = "Time zone";
    public const string AppliesTo = "Applies to";
    public const string ServerPattern = "Server name pattern";
    public const string Mailboxes = "Mailboxes";

    /// <summary>
    /// A one-off window longer than this is more likely a typo in the year or month than planned work, and
    /// would silence alerts for good; regular work is a weekly window.
    /// </summary>
    public static readonly TimeSpan MaxOnceLength = TimeSpan.FromDays(31);

    /// <param name="now">When given, a one-off window that ended already is refused: it would do nothing.</param>
    public static IReadOnlyDictionary<string, string> Validate(MaintenanceWindow window, DateTimeOffset? now = null)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);

        if (string.IsNullOrWhiteSpace(window.Name))
        {
            errors[Name] = "Give the window a name, like \"Mail server upgrade\".";
        }
        else if (window.Name.Trim().Length > 200)
        {
            errors[Name] = "Use at most 200 characters.";
        }

        if (!string.IsNullOrWhiteSpace(window.TimeZoneId) && !TimeZoneInfo.TryFindSystemTimeZoneById(window.TimeZoneId.Trim(), out _))
        {
            errors[TimeZone] = $"\"{window.TimeZoneId.Trim()}\" is not a time zone this server knows; use an IANA name like Europe/Berlin.";
        }

        switch (window.Recurrence)
        {
            case MaintenanceRecurrence.Once:
                ValidateOnce(window, now, errors);
                break;
            case MaintenanceRecurrence.Weekly:
                ValidateWeekly(window, errors);
                break;
            default:
                errors[Repeats] = "Choose Once or Weekly.";
                break;
        }

        switch (window.Scope)
        {
            case MaintenanceScope.AllMailboxes:
                break;
            case MaintenanceScope.ServerPattern:
                if (ServerPatternProblem(window.ServerPattern) is { } problem)
                {
                    errors[ServerPattern] = problem;
                }

                break;
            case MaintenanceScope.ChosenMailboxes:
                if (window.MailboxIds.Count == 0)
                {
                    errors[Mailboxes] = "Choose at least one mailbox.";
                }

                break;
            default:
                errors[AppliesTo] = "Choose all mailboxes, servers matching a pattern, or chosen mailboxes.";
                break;
        }

        return errors;
    }

    /// <summary>
    /// A pattern is valid when it is a host name or an IP address once each <c>*</c> is read as a letter:
    /// <c>*.example.com</c>, <c>imap*.example.com</c>, <c>10.0.0.*</c>.
    /// </summary>
    public static string? ServerPatternProblem(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return "Enter the servers' name, like imap.example.com, or a pattern like *.example.com.";
        }

        var trimmed = pattern.Trim();
        var asHost = trimmed.Replace('*', 'a');
        if (trimmed.Length > 253 || MailboxRules.HostNameProblem(asHost) is not null)
        {
            return "Enter a server name like imap.example.com, with * for any run of characters (*.example.com); no scheme such as \"imap://\", port or spaces.";
        }

        return null;
    }

    private static void ValidateOnce(MaintenanceWindow window, DateTimeOffset? now, Dictionary<string, string> errors)
    {
        if (window.StartsAt is null)
        {
            errors[Starts] = "Choose when the window starts.";
        }

        if (window.EndsAt is not { } end)
        {
            errors[Ends] = "Choose when the window ends.";
            return;
        }

        if (window.StartsAt is { } start)
        {
            if (end <= start)
            {
                errors[Ends] = "The end must be after the start.";
                return;
            }

            if (end - start > MaxOnceLength)
            {
                errors[Ends] = $"A one-off window lasts at most {MaxOnceLength.Days} days; for regular work choose Repeats: Weekly.";
                return;
            }
        }

        if (now is { } current && end <= current)
        {
            errors[Ends] = "This time has passed: a window that ended already would hold nothing back.";
        }
    }

    private static void ValidateWeekly(MaintenanceWindow window, Dictionary<string, string> errors)
    {
        if (window.TimeFrom is null)
        {
            errors[From] = "Enter the time the window starts, like 22:00.";
        }

        if (window.TimeTo is null)
        {
            errors[To] = "Enter the time the window ends, like 02:00 (earlier than From wraps past midnight).";
        }

        if (window.TimeFrom is { } from && window.TimeTo is { } to && from == to)
        {
            errors[To] = "From and To are the same, so the window would have no length. An earlier To wraps past midnight (22:00 to 02:00).";
        }
    }
}
