using ImapEvents.Core.Actions;

namespace ImapEvents.Core.Providers;

/// <summary>
/// An integration the customer registers to receive events (Notify Events External Provider): an
/// endpoint that gets the same signed JSON as a webhook, plus headers of its own (an API key, a tenant).
/// </summary>
public sealed class ExternalProvider
{
    public Guid Id { get; set; }

    public string Name { get; set; } = "";

    public string Endpoint { get; set; } = "";

    public bool Enabled { get; set; } = true;

    /// <summary>The signing secret as Infrastructure protected it; never shown again.</summary>
    public string? ProtectedSecret { get; set; }

    /// <summary>The extra headers ("Name: value" lines) as Infrastructure protected them: values may be credentials.</summary>
    public string? ProtectedHeaders { get; set; }

    /// <summary>The names of the extra headers, in clear, so the page can say which are set.</summary>
    public List<string> HeaderNames { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public uint Version { get; set; }
}

/// <summary>What a provider must satisfy; keys are the labels of its form.</summary>
public static class ExternalProviderValidation
{
    public const string Name = "Name";
    public const string Endpoint = "Endpoint";
    public const string SigningSecret = "Signing Secret";
    public const string Headers = "Headers";

    public const string HeadersForAnotherEndpoint =
        "Enter the headers again, or remove them: stored header values are only sent to the scheme, host and port they were entered for.";

    /// <summary>Headers the request sets itself; a provider may not replace them.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Type", "Content-Length", "Transfer-Encoding", "Connection",
        "webhook-id", "webhook-timestamp", "webhook-signature",
    };

    /// <param name="newSecret">A secret typed now; null keeps the stored one.</param>
    /// <param name="newHeaders">Header lines typed now; null keeps the stored ones, empty removes them.</param>
    /// <param name="storedEndpoint">The endpoint the stored headers were entered for; null for a new provider.</param>
    public static IReadOnlyDictionary<string, string> Validate(ExternalProvider provider, string? newSecret, string? newHeaders, string? storedEndpoint = null)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(provider.Name))
        {
            errors[Name] = "Give the provider a name, like \"PagerBridge\".";
        }
        else if (provider.Name.Trim().Length > 100)
        {
            errors[Name] = "Use at most 100 characters.";
        }

        if (ActionValidation.UrlProblem(provider.Endpoint) is { } endpointProblem)
        {
            errors[Endpoint] = endpointProblem;
        }
        else if (provider.Endpoint.Contains('{', StringComparison.Ordinal))
        {
            errors[Endpoint] = "Enter the endpoint without placeholders; the event travels in the request body.";
        }

        if (string.IsNullOrWhiteSpace(newSecret))
        {
            if (provider.ProtectedSecret is null)
            {
                errors[SigningSecret] = "Generate a signing secret (or paste the provider's) so it can verify each request.";
            }
        }
        else if (ActionValidation.WebhookSecretProblem(newSecret.Trim()) is { } secretProblem)
        {
            errors[SigningSecret] = secretProblem;
        }

        if (newHeaders is not null && HeadersProblem(newHeaders) is { } headersProblem)
        {
            errors[Headers] = headersProblem;
        }
        else if (newHeaders is null && provider.ProtectedHeaders is not null && storedEndpoint is not null && !SameOrigin(storedEndpoint, provider.Endpoint))
        {
            // Header values are usually credentials (an API key, a bearer token), bound like mailbox and SMTP passwords.
            errors[Headers] = HeadersForAnotherEndpoint;
        }

        return errors;
    }

    /// <summary>Whether two endpoints share scheme, host and port (the path may differ); false when either is not a URL.</summary>
    public static bool SameOrigin(string first, string second) =>
        Uri.TryCreate(first.Trim(), UriKind.Absolute, out var a)
        && Uri.TryCreate(second.Trim(), UriKind.Absolute, out var b)
        && string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    /// <summary>"Name: value" lines; empty lines are skipped.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ParseHeaders(string? text) =>
        (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(':', 2, StringSplitOptions.TrimEntries))
            .Where(parts => parts.Length == 2)
            .Select(parts => KeyValuePair.Create(parts[0], parts[1]))
            .ToList();

    public static string? HeadersProblem(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length > 20)
        {
            return "Use at most 20 headers.";
        }

        foreach (var line in lines)
        {
            var parts = line.Split(':', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || !parts[0].All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return $"Write one header per line as Name: value (\"{line}\" is not).";
            }

            if (Reserved.Contains(parts[0]))
            {
                return $"{parts[0]} is set by ImapEvents itself; remove that line.";
            }

            if (parts[1].Length > 4000 || parts[1].Any(char.IsControl))
            {
                return $"The value of {parts[0]} must be one line of at most 4,000 characters.";
            }
        }

        return null;
    }
}
