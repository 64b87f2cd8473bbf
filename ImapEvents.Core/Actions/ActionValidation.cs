using ImapEvents.Core.Events;
using ImapEvents.Core.Outbound;

namespace ImapEvents.Core.Actions;

/// <summary>What each action kind needs. Keys are "Action 2: URL": the action's place and the field's label.</summary>
public static class ActionValidation
{
    public const string Url = "URL";
    public const string SigningSecret = "Signing Secret";
    public const string FileName = "File Name";
    public const string Message = "Message";
    public const string MaxFrequencyLabel = "Max Frequency";
    public const string Recipients = "Recipients";
    public const string Subject = "Subject";
    public const string Body = "Body";
    public const string Provider = "Provider";

    public const int MaxFileNameLength = 100;

    /// <summary>The key of one action's field, as the editor and import errors show it ("Escalation action 1: URL" in the second list).</summary>
    public static string Key(int index, string label, ActionList list = ActionList.Main) => $"{list.ActionName(index)}: {label}";

    /// <summary>Values for checking that a templated URL is still a URL once filled in.</summary>
    private static readonly TemplateValues Sample = new(
        SampleEvents.LoginFailed(DateTimeOffset.UnixEpoch, "Support", "Authentication failed."),
        "Rule",
        0);

    public static void Validate(int index, RuleAction action, IDictionary<string, string> errors, ActionList list = ActionList.Main)
    {
        void Add(string label, string message) => errors.TryAdd(Key(index, label, list), message);

        if (!Enum.IsDefined(action.Kind))
        {
            Add("Kind", "Choose what the action does.");
            return;
        }

        if (action.MaxFrequency is { } span && (span < MaxFrequency.Shortest || span > MaxFrequency.Longest || span.Ticks % TimeSpan.TicksPerMinute != 0))
        {
            Add(MaxFrequencyLabel, "Use whole minutes from 1 minute to 7 days, or no limit.");
        }

        switch (action.Kind)
        {
            case ActionKind.CallWebPage:
                if (UrlProblem(action.Url) is { } pageProblem)
                {
                    Add(Url, pageProblem);
                }

                break;
            case ActionKind.CallWebhook:
                if (UrlProblem(action.Url) is { } hookProblem)
                {
                    Add(Url, hookProblem);
                }

                if (!action.HasSecret)
                {
                    Add(SigningSecret, "Generate a signing secret (or paste the receiver's) so the receiver can verify each call.");
                }
                else if (action.NewSecret is { } secret && !string.IsNullOrWhiteSpace(secret) && WebhookSecretProblem(secret.Trim()) is { } secretProblem)
                {
                    Add(SigningSecret, secretProblem);
                }

                if (action.SlackCompatible && EventTemplate.Problem(action.Message) is { } slackProblem)
                {
                    Add(Message, slackProblem);
                }

                break;
            case ActionKind.LogToFile:
                if (FileNameProblem(action.FileName) is { } fileProblem)
                {
                    Add(FileName, fileProblem);
                }

                if (EventTemplate.Problem(action.Message) is { } lineProblem)
                {
                    Add(Message, lineProblem);
                }
                else if (action.Message is { } line && (line.Contains('\n', StringComparison.Ordinal) || line.Contains('\r', StringComparison.Ordinal)))
                {
                    Add(Message, "One line per firing: remove the line breaks.");
                }

                break;

            case ActionKind.NotifyExternalProvider:
                if (action.ProviderId is null)
                {
                    Add(Provider, "Choose the provider to notify; add one on the External Providers page first.");
                }

                break;

            case ActionKind.UseMyNotificationProfile:
                break;

            case ActionKind.SendEmail:
                if (Email.EmailAddresses.ListProblem(action.Recipients) is { } recipientsProblem)
                {
                    Add(Recipients, recipientsProblem);
                }

                if (EventTemplate.Problem(action.Subject) is { } subjectProblem)
                {
                    Add(Subject, subjectProblem);
                }
                else if (action.Subject is { } subject && (subject.Length > 500 || subject.Contains('\n', StringComparison.Ordinal) || subject.Contains('\r', StringComparison.Ordinal)))
                {
                    Add(Subject, "Use one line of at most 500 characters.");
                }

                if (EventTemplate.Problem(action.Message) is { } bodyProblem)
                {
                    Add(Body, bodyProblem);
                }
                else if (action.Message is { Length: > 10_000 })
                {
                    Add(Body, "Use at most 10,000 characters.");
                }

                return;
        }

        if (action.Message is { Length: > 2000 })
        {
            Add(Message, "Use at most 2,000 characters.");
        }
    }

    /// <returns>Null for an absolute http or https URL (templates allowed), otherwise what is wrong.</returns>
    public static string? UrlProblem(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return "Enter the address to call, like https://example.com/hooks/imap.";
        }

        if (url.Length > 2000)
        {
            return "Use at most 2,000 characters.";
        }

        if (EventTemplate.Problem(url) is { } templateProblem)
        {
            return templateProblem;
        }

        var filled = EventTemplate.Render(url.Trim(), Sample, Uri.EscapeDataString);
        if (!(Uri.TryCreate(filled, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0))
        {
            return "Enter a full http:// or https:// address, like https://example.com/hooks/imap.";
        }

        // Said now, while the address is typed; the check when connecting (any spelling, any DNS name) is the real guard.
        return OutboundAddress.Literal(uri.Host) is { } address && OutboundAddress.Classify(address) == AddressKind.LinkLocalOrMetadata
            ? $"{address} is {OutboundAddress.Describe(AddressKind.LinkLocalOrMetadata)}, which ImapEvents never calls. Enter the receiver's own address."
            : null;
    }

    /// <summary>A plain file name: no folders, so nothing can be written outside the log directory.</summary>
    public static string? FileNameProblem(string? fileName)
    {
        if (string.IsNullOrWhiteSpace(fileName))
        {
            return "Enter a file name, like imap-events.log.";
        }

        if (fileName.Length > MaxFileNameLength)
        {
            return $"Use at most {MaxFileNameLength} characters.";
        }

        if (fileName.Contains('/', StringComparison.Ordinal) || fileName.Contains('\\', StringComparison.Ordinal) || fileName.Contains("..", StringComparison.Ordinal))
        {
            return "Enter a file name only, without folders: files are written to the configured log directory.";
        }

        if (fileName.StartsWith('.') || !fileName.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
        {
            return "Use letters, digits, dots, dashes and underscores, not starting with a dot (like imap-events.log).";
        }

        return null;
    }

    /// <summary>Standard Webhooks secrets: "whsec_" and base64 of 24 to 64 random bytes.</summary>
    public static string? WebhookSecretProblem(string secret)
    {
        var encoded = secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret;
        var buffer = new byte[encoded.Length];
        return Convert.TryFromBase64String(encoded, buffer, out var length) && length is >= 24 and <= 64
            ? null
            : "Use a secret of the form whsec_ followed by base64 (24 to 64 bytes), or press Generate.";
    }

    /// <summary>The key bytes of a valid secret (see <see cref="WebhookSecretProblem"/>).</summary>
    public static byte[] WebhookSecretKey(string secret) =>
        Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret);
}
