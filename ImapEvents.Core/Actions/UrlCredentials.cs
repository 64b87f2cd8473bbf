namespace ImapEvents.Core.Actions;

/// <summary>
/// Keys written into a URL: a query value such as <c>?apikey=…</c>, a user name and password before the host,
/// or an incoming-webhook path (Slack, Discord, Teams) whose path is the key itself. Whoever reads such a URL
/// can call the receiver, so it is a secret: Infrastructure keeps the whole URL encrypted and the rest of the
/// app sees it with each key replaced by <see cref="Mask"/>.
/// </summary>
public static class UrlCredentials
{
    public const string Mask = "***";

    /// <summary>Query parameters that carry a credential by their usual name (compared without regard to case).</summary>
    private static readonly HashSet<string> KeyParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        "apikey", "api_key", "api-key", "key", "token", "access_token", "auth", "auth_token", "secret", "client_secret",
        "password", "passwd", "pwd", "sig", "signature", "code",
    };

    /// <summary>Incoming-webhook services whose path after the prefix is the key.</summary>
    private static readonly (string Host, string PathPrefix, string Name)[] KeyPaths =
    [
        ("hooks.slack.com", "/services/", "the Slack webhook path"),
        ("hooks.slack.com", "/workflows/", "the Slack webhook path"),
        ("hooks.slack.com", "/triggers/", "the Slack webhook path"),
        ("discord.com", "/api/webhooks/", "the Discord webhook path"),
        ("discordapp.com", "/api/webhooks/", "the Discord webhook path"),
        (".webhook.office.com", "/webhookb2/", "the Teams webhook path"),
    ];

    /// <summary>The URL with every key replaced by <see cref="Mask"/>: what is shown, exported and kept in the history.</summary>
    public static string Masked(string url)
    {
        var masked = url;
        foreach (var key in Keys(url).OrderByDescending(k => k.Start))
        {
            masked = masked[..key.Start] + Mask + masked[(key.Start + key.Length)..];
        }

        return masked;
    }

    /// <summary>What carries a key in clear ("apikey", "the Slack webhook path"), for the editor's warning; empty when nothing does.</summary>
    public static IReadOnlyList<string> InClear(string? url) =>
        url is null ? [] : Keys(url).Where(k => k.Value != Mask).Select(k => k.Name).Distinct().ToList();

    /// <summary>Whether a key of this URL is shown as <see cref="Mask"/>: the URL alone cannot be called.</summary>
    public static bool HasMaskedKey(string? url) => url is not null && Keys(url).Any(k => k.Value == Mask);

    private sealed record Key(string Name, int Start, int Length, string Value);

    /// <summary>Where the keys are, found in the text as typed (templates such as {ServerName} stay as they are).</summary>
    private static List<Key> Keys(string url)
    {
        var keys = new List<Key>();
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return keys;
        }

        var authorityStart = schemeEnd + 3;
        var fragment = url.IndexOf('#', authorityStart);
        var end = fragment < 0 ? url.Length : fragment;
        var authorityEnd = url.IndexOfAny(['/', '?'], authorityStart, end - authorityStart);
        authorityEnd = authorityEnd < 0 ? end : authorityEnd;

        var authority = url[authorityStart..authorityEnd];
        var at = authority.LastIndexOf('@');
        if (at > 0)
        {
            keys.Add(new Key("the user name and password", authorityStart, at, authority[..at]));
        }

        var host = HostOf(authority[(at + 1)..]);
        var query = url.IndexOf('?', authorityEnd, end - authorityEnd);
        var pathEnd = query < 0 ? end : query;
        var path = url[authorityEnd..pathEnd];
        foreach (var (service, prefix, name) in KeyPaths)
        {
            var hostMatches = service.StartsWith('.') ? host.EndsWith(service, StringComparison.OrdinalIgnoreCase) : string.Equals(host, service, StringComparison.OrdinalIgnoreCase);
            if (hostMatches && path.Length > prefix.Length && path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                keys.Add(new Key(name, authorityEnd + prefix.Length, path.Length - prefix.Length, path[prefix.Length..]));
                break;
            }
        }

        if (query >= 0)
        {
            var position = query + 1;
            while (position <= end)
            {
                var next = url.IndexOf('&', position, end - position);
                var pairEnd = next < 0 ? end : next;
                var equals = url.IndexOf('=', position, pairEnd - position);
                if (equals > position && equals < pairEnd - 1)
                {
                    var name = Uri.UnescapeDataString(url[position..equals]);
                    var value = url[(equals + 1)..pairEnd];
                    // A value that is a template is filled from the event, not a key.
                    if (KeyParameters.Contains(name) && !value.Contains('{', StringComparison.Ordinal))
                    {
                        keys.Add(new Key(name, equals + 1, pairEnd - equals - 1, value));
                    }
                }

                position = pairEnd + 1;
            }
        }

        return keys;
    }

    private static string HostOf(string hostAndPort)
    {
        if (hostAndPort.StartsWith('['))
        {
            var close = hostAndPort.IndexOf(']', StringComparison.Ordinal);
            return close < 0 ? hostAndPort : hostAndPort[..(close + 1)];
        }

        var colon = hostAndPort.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? hostAndPort : hostAndPort[..colon];
    }
}
