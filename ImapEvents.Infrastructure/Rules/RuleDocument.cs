using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;

namespace ImapEvents.Infrastructure.Rules;

/// <summary>A rule as it is exported, imported and kept in the audit trail: readable, with the UI's words.</summary>
public sealed record RuleDocument
{
    public string Name { get; init; } = "";

    public bool Enabled { get; init; } = true;

    /// <summary>ConnectionFailed, LoginFailed, DownloadFailed, ImportFailed (or "IMAP Login Failed" and so on).</summary>
    public string EventType { get; init; } = "";

    /// <summary>HH:mm, or null for any time.</summary>
    public string? TimeFrom { get; init; }

    public string? TimeTo { get; init; }

    public string? TimeZone { get; init; }

    public IReadOnlyList<string> DaysOfWeek { get; init; } = [];

    public string? ServerName { get; init; }

    public int? ServerPort { get; init; }

    public string? LoginUsername { get; init; }

    /// <summary>any, true or false.</summary>
    public string Ssl { get; init; } = "any";

    public DateTimeOffset? SnoozedUntil { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static RuleDocument From(EventRule rule) => new()
    {
        Name = rule.Name,
        Enabled = rule.Enabled,
        EventType = rule.EventType.ToString(),
        TimeFrom = rule.TimeFrom?.ToString("HH:mm", CultureInfo.InvariantCulture),
        TimeTo = rule.TimeTo?.ToString("HH:mm", CultureInfo.InvariantCulture),
        TimeZone = rule.TimeZoneId,
        DaysOfWeek = Enum.GetValues<DayOfWeek>().Where(d => RuleConditions.DayHolds(rule.DaysOfWeek, d) && rule.DaysOfWeek != Core.Rules.DaysOfWeek.None).Select(d => d.ToString()).ToList(),
        ServerName = rule.ServerName,
        ServerPort = rule.ServerPort,
        LoginUsername = rule.LoginUsername,
        Ssl = rule.Ssl.ToString().ToLowerInvariant(),
        SnoozedUntil = rule.SnoozedUntil,
    };

    /// <summary>The rule this document describes, or the reasons it cannot be one, keyed by field label.</summary>
    public (EventRule? Rule, Dictionary<string, string> Errors) ToRule()
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        var rule = new EventRule
        {
            Name = Name?.Trim() ?? "",
            Enabled = Enabled,
            TimeZoneId = string.IsNullOrWhiteSpace(TimeZone) ? null : TimeZone.Trim(),
            ServerName = string.IsNullOrWhiteSpace(ServerName) ? null : ServerName.Trim(),
            ServerPort = ServerPort,
            LoginUsername = string.IsNullOrWhiteSpace(LoginUsername) ? null : LoginUsername.Trim(),
            SnoozedUntil = SnoozedUntil,
        };

        var eventType = EventType ?? "";
        var type = Enum.GetValues<ImapEventType>().Cast<ImapEventType?>()
            .FirstOrDefault(t => string.Equals(t.ToString(), eventType, StringComparison.OrdinalIgnoreCase)
                || string.Equals(t!.Value.DisplayName(), eventType, StringComparison.OrdinalIgnoreCase));
        if (type is null)
        {
            errors[RuleValidation.EventType] = $"\"{EventType}\" is not an event type; use ConnectionFailed, LoginFailed, DownloadFailed or ImportFailed.";
        }
        else
        {
            rule.EventType = type.Value;
        }

        rule.TimeFrom = ParseTime(TimeFrom, errors);
        rule.TimeTo = ParseTime(TimeTo, errors);

        foreach (var day in DaysOfWeek ?? [])
        {
            // One day name per entry: Enum.TryParse would read "Monday,Tuesday" or "3" as some day.
            if (day is not null && day.All(char.IsLetter) && Enum.TryParse<DayOfWeek>(day, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
            {
                rule.DaysOfWeek |= (Core.Rules.DaysOfWeek)(1 << (int)parsed);
            }
            else
            {
                errors["Day of Week"] = $"\"{day}\" is not a day of the week.";
            }
        }

        rule.Ssl = (Ssl ?? "any").Trim().ToLowerInvariant() switch
        {
            "any" or "" => SslCondition.Any,
            "true" => SslCondition.True,
            "false" => SslCondition.False,
            _ => ReportSsl(errors),
        };

        foreach (var (field, message) in RuleValidation.Validate(rule))
        {
            errors.TryAdd(field, message);
        }

        return (errors.Count == 0 ? rule : null, errors);
    }

    private static TimeOnly? ParseTime(string? text, Dictionary<string, string> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (TimeOnly.TryParseExact(text.Trim(), ["HH:mm", "H:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return time;
        }

        errors[RuleValidation.TimeOfDay] = $"\"{text}\" is not a time; use HH:mm, like 08:30.";
        return null;
    }

    private SslCondition ReportSsl(Dictionary<string, string> errors)
    {
        errors["SSL"] = $"\"{Ssl}\" is not an SSL condition; use any, true or false.";
        return SslCondition.Any;
    }
}

/// <summary>The file "Export rules" writes and "Import rules" reads.</summary>
public sealed record RuleExport
{
    public string Format { get; init; } = "imapevents-rules";

    public int Version { get; init; } = 1;

    public DateTimeOffset ExportedAt { get; init; }

    public IReadOnlyList<RuleDocument> Rules { get; init; } = [];
}
