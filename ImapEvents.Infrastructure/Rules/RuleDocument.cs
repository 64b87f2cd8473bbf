using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Core.Rules;
using ImapEvents.Infrastructure.Actions;

namespace ImapEvents.Infrastructure.Rules;

/// <summary>A rule as it is exported, imported and kept in the audit trail: readable, with the UI's words.</summary>
public sealed record RuleDocument
{
    public string Name { get; init; } = "";

    public bool Enabled { get; init; } = true;

    /// <summary>ConnectionFailed, LoginFailed, DownloadFailed, ImportFailed, Recovered, CertificateExpiring, MailboxStale (or "IMAP Login Failed" and so on).</summary>
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

    /// <summary>In order. Webhook signing secrets and keys in URLs are never exported.</summary>
    public IReadOnlyList<ActionDocument> Actions { get; init; } = [];

    // The incident options. Each is optional on import: files written before they existed import with the defaults,
    // which behave as rules did then (every matching event, no recovery, no grouping, no escalation).

    /// <summary>Fire after N consecutive failures; 1 (or missing) fires at the first.</summary>
    public int? FireAfterFailures { get; init; }

    /// <summary>EveryEvent or OncePerIncident (or "On every matching event", "Once per incident").</summary>
    public string? Notify { get; init; }

    public bool? NotifyOnRecovery { get; init; }

    public bool? GroupByServer { get; init; }

    /// <summary>Null for no escalation.</summary>
    public int? EscalateAfterMinutes { get; init; }

    /// <summary>In order; secrets and URL keys are left out as in <see cref="Actions"/>.</summary>
    public IReadOnlyList<ActionDocument> EscalationActions { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Set, not left to the first (de)serialisation: import reads the documents' property types through
        // GetTypeInfo, which has no resolver to ask until then (an import as a process's first use failed).
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    /// <param name="providerNames">External providers by id: documents name them, so an export reads and imports across installations.</param>
    public static RuleDocument From(EventRule rule, IReadOnlyDictionary<Guid, string>? providerNames = null) => new()
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
        Actions = rule.Actions.Select(a => ActionDocument.From(a, providerNames)).ToList(),
        FireAfterFailures = rule.FireAfterFailures,
        Notify = rule.Notify.ToString(),
        NotifyOnRecovery = rule.NotifyOnRecovery,
        GroupByServer = rule.GroupByServer,
        EscalateAfterMinutes = rule.EscalateAfterMinutes,
        EscalationActions = rule.EscalationActions.Select(a => ActionDocument.From(a, providerNames)).ToList(),
    };

    /// <summary>The rule this document describes, or the reasons it cannot be one, keyed by field label.</summary>
    /// <param name="providerIds">External providers by name (case-insensitive).</param>
    public (EventRule? Rule, Dictionary<string, string> Errors) ToRule(IReadOnlyDictionary<string, Guid>? providerIds = null)
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
            FireAfterFailures = FireAfterFailures ?? 1,
            NotifyOnRecovery = NotifyOnRecovery ?? false,
            GroupByServer = GroupByServer ?? false,
            EscalateAfterMinutes = EscalateAfterMinutes,
        };

        var eventType = EventType ?? "";
        var type = Enum.GetValues<ImapEventType>().Cast<ImapEventType?>()
            .FirstOrDefault(t => string.Equals(t.ToString(), eventType, StringComparison.OrdinalIgnoreCase)
                || string.Equals(t!.Value.DisplayName(), eventType, StringComparison.OrdinalIgnoreCase));
        if (type is null)
        {
            errors[RuleValidation.EventType] = $"\"{EventType}\" is not an event type; use {string.Join(", ", Enum.GetValues<ImapEventType>())}.";
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

        var notify = (Notify ?? "").Trim();
        rule.Notify = notify.Length == 0
            ? NotifyMode.EveryEvent
            : Enum.GetValues<NotifyMode>().Cast<NotifyMode?>()
                .FirstOrDefault(m => string.Equals(m.ToString(), notify, StringComparison.OrdinalIgnoreCase)
                    || string.Equals(m!.Value.DisplayName(), notify, StringComparison.OrdinalIgnoreCase))
                ?? ReportNotify(errors);

        ReadActions(Actions, ActionList.Main, rule.Actions, errors, providerIds);
        ReadActions(EscalationActions, ActionList.Escalation, rule.EscalationActions, errors, providerIds);

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

    private static void ReadActions(
        IReadOnlyList<ActionDocument?>? documents, ActionList list, List<RuleAction> into, Dictionary<string, string> errors, IReadOnlyDictionary<string, Guid>? providerIds)
    {
        var actions = documents ?? [];
        for (var i = 0; i < actions.Count; i++)
        {
            if (actions[i] is not { } action)
            {
                errors[ActionValidation.Key(i, "Kind", list)] = "is empty (null); remove it or give it a kind.";
                continue;
            }

            into.Add(action.ToAction(i, errors, providerIds ?? new Dictionary<string, Guid>(), list));
        }
    }

    private NotifyMode ReportNotify(Dictionary<string, string> errors)
    {
        errors[RuleValidation.Notify] = $"\"{Notify}\" is not a choice of Notify; use {nameof(NotifyMode.EveryEvent)} or {nameof(NotifyMode.OncePerIncident)}.";
        return NotifyMode.EveryEvent;
    }

    private SslCondition ReportSsl(Dictionary<string, string> errors)
    {
        errors["SSL"] = $"\"{Ssl}\" is not an SSL condition; use any, true or false.";
        return SslCondition.Any;
    }
}

/// <summary>One action of a rule as it is exported: the kind and the settings it uses.</summary>
public sealed record ActionDocument
{
    /// <summary>CallWebPage, CallWebhook, LogToFile (or "Call Web Page" and so on).</summary>
    public string Kind { get; init; } = "";

    /// <summary>Whole minutes; null for every firing.</summary>
    public int? MaxFrequencyMinutes { get; init; }

    public string? Url { get; init; }

    /// <summary>Call Web Page: GET or POST.</summary>
    public string? Method { get; init; }

    public bool? SlackCompatible { get; init; }

    public string? FileName { get; init; }

    /// <summary>Send Email: addresses split by commas.</summary>
    public string? Recipients { get; init; }

    public string? Subject { get; init; }

    /// <summary>Notify Events External Provider: the provider's name.</summary>
    public string? Provider { get; init; }

    /// <summary>The log line, the Slack text or the email body.</summary>
    public string? Message { get; init; }

    /// <summary>
    /// Why and when ImapEvents stopped firing the action ("the receiver answered 410 Gone on 2026-12-02 10:15:00Z");
    /// null while it fires. Shown in the history; an import leaves it out, so an imported action fires.
    /// </summary>
    public string? Disabled { get; init; }

    public static ActionDocument From(RuleAction action, IReadOnlyDictionary<Guid, string>? providerNames = null) => FromKind(action, providerNames) with
    {
        Disabled = action.DisabledAt is { } at ? $"{action.DisabledReason} on {at.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}" : null,
    };

    private static ActionDocument FromKind(RuleAction action, IReadOnlyDictionary<Guid, string>? providerNames) => action.Kind switch
    {
        ActionKind.CallWebPage => new ActionDocument
        {
            Kind = action.Kind.ToString(),
            MaxFrequencyMinutes = Minutes(action.MaxFrequency),
            Url = MaskedUrl(action),
            Method = action.Method == WebPageMethod.PostForm ? "POST" : "GET",
        },
        ActionKind.CallWebhook => new ActionDocument
        {
            Kind = action.Kind.ToString(),
            MaxFrequencyMinutes = Minutes(action.MaxFrequency),
            Url = MaskedUrl(action),
            SlackCompatible = action.SlackCompatible,
            Message = action.SlackCompatible ? action.Message : null,
        },
        ActionKind.LogToFile => new ActionDocument
        {
            Kind = action.Kind.ToString(),
            MaxFrequencyMinutes = Minutes(action.MaxFrequency),
            FileName = action.FileName,
            Message = action.Message,
        },
        ActionKind.SendEmail => new ActionDocument
        {
            Kind = action.Kind.ToString(),
            MaxFrequencyMinutes = Minutes(action.MaxFrequency),
            Recipients = action.Recipients,
            Subject = action.Subject,
            Message = action.Message,
        },
        ActionKind.UseMyNotificationProfile => new ActionDocument
        {
            Kind = action.Kind.ToString(),
            MaxFrequencyMinutes = Minutes(action.MaxFrequency),
        },
        ActionKind.NotifyExternalProvider => new ActionDocument
        {
            Kind = action.Kind.ToString(),
            MaxFrequencyMinutes = Minutes(action.MaxFrequency),
            Provider = action.ProviderId is { } id ? providerNames?.GetValueOrDefault(id) ?? id.ToString() : null,
        },
    };

    /// <summary>Keys in a URL are secrets, like webhook signing secrets: never exported or kept in the history (a rule saved before keys were masked included).</summary>
    private static string? MaskedUrl(RuleAction action) => action.Url is null ? null : UrlCredentials.Masked(action.Url);

    /// <param name="list">Which list of the rule the action is in, so errors name it ("Escalation action 1: URL").</param>
    public RuleAction ToAction(int index, Dictionary<string, string> errors, IReadOnlyDictionary<string, Guid> providerIds, ActionList list = ActionList.Main)
    {
        var kindText = Kind ?? "";
        var kind = Enum.GetValues<ActionKind>().Cast<ActionKind?>()
            .FirstOrDefault(k => string.Equals(k.ToString(), kindText, StringComparison.OrdinalIgnoreCase)
                || string.Equals(k!.Value.DisplayName(), kindText, StringComparison.OrdinalIgnoreCase));
        if (kind is null)
        {
            errors[ActionValidation.Key(index, "Kind", list)] =
                $"\"{Kind}\" is not an action; use {string.Join(", ", Enum.GetValues<ActionKind>())}.";
        }

        var method = (Method ?? "GET").Trim().ToUpperInvariant() switch
        {
            "GET" or "" => WebPageMethod.Get,
            "POST" => WebPageMethod.PostForm,
            _ => ReportMethod(index, errors, list),
        };

        Guid? providerId = null;
        if (kind == ActionKind.NotifyExternalProvider && !string.IsNullOrWhiteSpace(Provider))
        {
            if (providerIds.TryGetValue(Provider.Trim(), out var found))
            {
                providerId = found;
            }
            else
            {
                errors[ActionValidation.Key(index, ActionValidation.Provider, list)] =
                    $"There is no external provider named \"{Provider}\" here. Add it on the External Providers page, then import again.";
            }
        }

        return new RuleAction
        {
            Id = Guid.NewGuid(),
            ProviderId = providerId,
            Kind = kind ?? ActionKind.CallWebPage,
            MaxFrequency = MaxFrequencyMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null,
            Url = string.IsNullOrWhiteSpace(Url) ? null : Url.Trim(),
            Method = method,
            SlackCompatible = SlackCompatible ?? false,
            FileName = string.IsNullOrWhiteSpace(FileName) ? null : FileName.Trim(),
            Recipients = string.IsNullOrWhiteSpace(Recipients) ? null : Recipients.Trim(),
            Subject = string.IsNullOrWhiteSpace(Subject) ? null : Subject,
            Message = string.IsNullOrWhiteSpace(Message) ? null : Message,
            // Secrets are not exported; an imported webhook gets a new one (the import says so).
            NewSecret = kind == ActionKind.CallWebhook ? WebhookSecrets.Generate() : null,
        };
    }

    private WebPageMethod ReportMethod(int index, Dictionary<string, string> errors, ActionList list)
    {
        errors[ActionValidation.Key(index, "Method", list)] = $"\"{Method}\" is not a method; use GET or POST.";
        return WebPageMethod.Get;
    }

    private static int? Minutes(TimeSpan? span) => span is { } value ? (int)value.TotalMinutes : null;
}

/// <summary>The file "Export rules" writes and "Import rules" reads.</summary>
public sealed record RuleExport
{
    public string Format { get; init; } = "imapevents-rules";

    public int Version { get; init; } = 1;

    public DateTimeOffset ExportedAt { get; init; }

    public IReadOnlyList<RuleDocument> Rules { get; init; } = [];
}
