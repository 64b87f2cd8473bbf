namespace ImapEvents.Core.Actions;

/// <summary>
/// One action of a rule, in the rule's order. The settings a kind does not use stay empty; validation
/// (<see cref="ActionValidation"/>) says which each kind needs.
/// </summary>
public sealed class RuleAction
{
    /// <summary>Stable across edits, so the max-frequency window of an action survives changes to its rule.</summary>
    public Guid Id { get; set; }

    public ActionKind Kind { get; set; }

    /// <summary>At most one delivery per this span; null delivers every firing.</summary>
    public TimeSpan? MaxFrequency { get; set; }

    /// <summary>
    /// Call Web Page, Call Webhook: the address, which may hold templates such as {ServerName}. A key in it
    /// (<c>?apikey=</c>, a Slack webhook path) is shown as <see cref="UrlCredentials.Mask"/> once saved; the
    /// whole URL is then in <see cref="ProtectedUrl"/>.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>
    /// Call Web Page, Call Webhook: the whole URL, keys included, as Infrastructure protected it (opaque here);
    /// null when the URL holds no key. It is only ever used for the masked <see cref="Url"/> it was entered with.
    /// </summary>
    public string? ProtectedUrl { get; set; }

    /// <summary>Call Web Page.</summary>
    public WebPageMethod Method { get; set; }

    /// <summary>Call Webhook: send Slack's <c>{"text": …}</c> body instead of the event document.</summary>
    public bool SlackCompatible { get; set; }

    /// <summary>
    /// Call Webhook: the signing secret as Infrastructure protected it (opaque here). It is never shown
    /// again; <see cref="NewSecret"/> replaces it.
    /// </summary>
    public string? ProtectedSecret { get; set; }

    /// <summary>Call Webhook: a secret typed or generated in the editor, not yet protected. Never stored as is.</summary>
    public string? NewSecret { get; set; }

    /// <summary>Log to File: a file name inside the configured log directory.</summary>
    public string? FileName { get; set; }

    /// <summary>
    /// Log to File: the line; Call Webhook with Slack: the text; Send Email: the body. Empty uses
    /// <see cref="EventTemplate.DefaultMessage"/> (<see cref="EventTemplate.DefaultEmailBody"/> for email).
    /// </summary>
    public string? Message { get; set; }

    /// <summary>Send Email: addresses split by commas, semicolons or lines.</summary>
    public string? Recipients { get; set; }

    /// <summary>Notify Events External Provider: the provider (from the External Providers page).</summary>
    public Guid? ProviderId { get; set; }

    /// <summary>Send Email: the subject. Empty uses <see cref="EventTemplate.DefaultEmailSubject"/>.</summary>
    public string? Subject { get; set; }

    public bool HasSecret => !string.IsNullOrEmpty(ProtectedSecret) || !string.IsNullOrWhiteSpace(NewSecret);

    public static RuleAction Create(ActionKind kind) => new()
    {
        Id = Guid.NewGuid(),
        Kind = kind,
        MaxFrequency = kind.DefaultMaxFrequency(),
    };

    public RuleAction Copy() => (RuleAction)MemberwiseClone();
}
