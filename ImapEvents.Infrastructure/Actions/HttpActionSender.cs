using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ImapEvents.Core.Actions;
using ImapEvents.Core.Events;
using ImapEvents.Infrastructure.Outbound;
using Microsoft.Extensions.Options;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>Call Web Page and Call Webhook: one HTTP request per attempt, with the response recorded.</summary>
public sealed class HttpActionSender(IHttpClientFactory httpClients, WebhookSecrets secrets, ActionUrls urls, IOptions<ActionOptions> options, TimeProvider time)
{
    public const string ClientName = "actions";

    public const string UrlKeyMissing =
        "The key in this action's URL is not stored with it, or cannot be read (keys are left out of exports; the data-protection key ring may have changed). " +
        "Open the rule, type the whole URL again with its key, and save.";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>GET with the event's fields in the query, or POST them as a form.</summary>
    public async Task<SendResult> CallWebPageAsync(RuleAction action, TemplateValues values, CancellationToken cancellationToken)
    {
        if (urls.UrlToCall(action) is not { } template)
        {
            return SendResult.Failed(UrlKeyMissing, permanent: true);
        }

        var url = EventTemplate.Render(template, values, Uri.EscapeDataString);
        var fields = values.All().ToList();
        using var request = action.Method switch
        {
            WebPageMethod.Get => new HttpRequestMessage(HttpMethod.Get, AppendQuery(url, fields)),
            WebPageMethod.PostForm => new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) },
        };
        return await SendAsync(request, cancellationToken);
    }

    /// <summary>POSTs the event document (or Slack's text body), signed in the Standard Webhooks style.</summary>
    public async Task<SendResult> CallWebhookAsync(RuleAction action, Guid deliveryId, ImapEvent imapEvent, TemplateValues values, CancellationToken cancellationToken)
    {
        if (action.ProtectedSecret is null || secrets.TryUnprotect(action.ProtectedSecret) is not { } secret)
        {
            return SendResult.Failed(
                "The signing secret cannot be read (the data-protection key ring changed). Open the rule, generate a new secret and give it to the receiver.",
                permanent: true);
        }

        if (urls.UrlToCall(action) is not { } template)
        {
            return SendResult.Failed(UrlKeyMissing, permanent: true);
        }

        var body = action.SlackCompatible
            ? JsonSerializer.Serialize(new { text = EventTemplate.Render(string.IsNullOrWhiteSpace(action.Message) ? EventTemplate.DefaultMessage : action.Message, values) }, Json)
            : JsonSerializer.Serialize(WebhookPayload.From(deliveryId, imapEvent, values), Json);
        var url = EventTemplate.Render(template, values, Uri.EscapeDataString);
        return await PostSignedAsync(url, deliveryId, secret, body, [], cancellationToken);
    }

    /// <summary>
    /// POSTs the event document to an external provider: the webhook contract, signed with the provider's
    /// secret, with the provider's own headers.
    /// </summary>
    public Task<SendResult> NotifyProviderAsync(
        string endpoint, string secret, IEnumerable<KeyValuePair<string, string>> headers, Guid messageId, ImapEvent imapEvent, TemplateValues values, CancellationToken cancellationToken) =>
        PostSignedAsync(endpoint, messageId, secret, JsonSerializer.Serialize(WebhookPayload.From(messageId, imapEvent, values), Json), headers, cancellationToken);

    private async Task<SendResult> PostSignedAsync(
        string url, Guid messageGuid, string secret, string body, IEnumerable<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        // Written exactly as the body's deliveryId (the JSON form of a Guid, with dashes): receivers
        // de-duplicate on either, so the two must never differ.
        var messageId = messageGuid.ToString("D");
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        // The same id on every retry, so a receiver can drop a delivery it already processed.
        request.Headers.Add(WebhookSigner.IdHeader, messageId);
        request.Headers.Add(WebhookSigner.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookSigner.SignatureHeader, WebhookSigner.Sign(secret, messageId, timestamp, body));
        return await SendAsync(request, cancellationToken);
    }

    private async Task<SendResult> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var client = httpClients.CreateClient(ClientName);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.HttpTimeout);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return await SendResult.FromResponseAsync(response, time.GetUtcNow(), options.Value.MaxRetryAfter, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return SendResult.Failed($"No answer from {request.RequestUri?.Host} within {options.Value.HttpTimeout.TotalSeconds:0} s.");
        }
        catch (HttpRequestException ex) when (OutboundPolicy.RefusalIn(ex) is { } refusal)
        {
            // The address stays refused however often it is tried: say so once instead of retrying for hours.
            return SendResult.Failed(refusal, permanent: true);
        }
        catch (HttpRequestException ex)
        {
            return SendResult.Failed($"Could not reach {request.RequestUri?.Host}: {ex.Message}");
        }
    }

    private static string AppendQuery(string url, IEnumerable<KeyValuePair<string, string>> fields)
    {
        var query = string.Join('&', fields.Select(f => Uri.EscapeDataString(f.Key) + "=" + Uri.EscapeDataString(f.Value)));
        var fragment = url.IndexOf('#', StringComparison.Ordinal);
        var (head, tail) = fragment < 0 ? (url, "") : (url[..fragment], url[fragment..]);
        var separator = head.Contains('?', StringComparison.Ordinal) ? (head.EndsWith('?') || head.EndsWith('&') ? "" : "&") : "?";
        return head + separator + query + tail;
    }
}

/// <summary>The JSON a webhook receives (Standard Webhooks envelope: type, timestamp, data).</summary>
public sealed record WebhookPayload(string Type, DateTimeOffset Timestamp, WebhookEventData Data)
{
    public static WebhookPayload From(Guid deliveryId, ImapEvent imapEvent, TemplateValues values) => new(
        "imap." + imapEvent.Type switch
        {
            ImapEventType.ConnectionFailed => "connection_failed",
            ImapEventType.LoginFailed => "login_failed",
            ImapEventType.DownloadFailed => "download_failed",
            ImapEventType.ImportFailed => "import_failed",
            ImapEventType.Recovered => "recovered",
            ImapEventType.CertificateExpiring => "certificate_expiring",
            ImapEventType.MailboxStale => "mailbox_stale",
        },
        imapEvent.OccurredAt,
        new WebhookEventData(
            imapEvent.Id,
            deliveryId,
            imapEvent.Type.DisplayName(),
            imapEvent.OccurredAt,
            imapEvent.MailboxName,
            imapEvent.ServerName,
            imapEvent.ServerPort,
            imapEvent.LoginUsername,
            imapEvent.Ssl,
            imapEvent.Stage.ToString(),
            imapEvent.ErrorKind.ToString(),
            imapEvent.ErrorMessage,
            values.RuleName,
            values.SuppressedCount,
            imapEvent.IsTest,
            imapEvent.IncidentId is { } incidentId
                ? new WebhookIncident(incidentId, values.IncidentUrl, imapEvent.FailureNumber, imapEvent.Downtime is { } downtime ? (long)downtime.TotalSeconds : null)
                : null,
            imapEvent.CertificateExpiresAt is { } expires ? new WebhookCertificate(expires, imapEvent.CertificateIssuer ?? "") : null,
            values.Group?.Select(m => new WebhookMailbox(m.MailboxName, m.LoginUsername, m.ErrorMessage, m.OccurredAt)).ToList(),
            values.Trigger));
}

/// <summary>The incident an event belongs to: its page, how many checks failed, and for a recovery how long it lasted.</summary>
public sealed record WebhookIncident(Guid Id, string? Url, int FailedChecks, long? DowntimeSeconds);

public sealed record WebhookCertificate(DateTimeOffset ExpiresAt, string Issuer);

/// <summary>One mailbox of a grouped notification.</summary>
public sealed record WebhookMailbox(string MailboxName, string LoginUsername, string Error, DateTimeOffset OccurredAt);

public sealed record WebhookEventData(
    Guid EventId,
    Guid DeliveryId,
    string EventType,
    DateTimeOffset OccurredAt,
    string MailboxName,
    string ServerName,
    int ServerPort,
    string LoginUsername,
    bool Ssl,
    string Stage,
    string ErrorKind,
    string Error,
    string RuleName,
    int SuppressedCount,
    bool Test,
    WebhookIncident? Incident = null,
    WebhookCertificate? Certificate = null,
    IReadOnlyList<WebhookMailbox>? Mailboxes = null,
    string Trigger = "event");
