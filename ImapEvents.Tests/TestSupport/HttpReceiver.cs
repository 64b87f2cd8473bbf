using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Tests.TestSupport;

public sealed record ReceivedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string ContentType, string Body);

/// <summary>
/// A real HTTP receiver on a loopback Kestrel port: records every request and answers with the status
/// codes it was told to (200 once those run out), like a webhook endpoint that fails and recovers.
/// </summary>
public sealed class HttpReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<(int Status, string? RetryAfter)> answers = new();
    private volatile TaskCompletionSource? held;
    private readonly ConcurrentQueue<ReceivedRequest> requests = new();

    private HttpReceiver(WebApplication app) => this.app = app;

    public string BaseUrl { get; private set; } = "";

    /// <summary>The Location a 3xx answer carries.</summary>
    public string RedirectLocation { get; set; } = "/elsewhere";

    public IReadOnlyList<ReceivedRequest> Requests => requests.ToArray();

    /// <summary>Records each request and then never answers it, like a receiver that hangs; the sender's hang-up ends it.</summary>
    public bool HoldRequests { get; set; }

    public static async Task<HttpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var receiver = new HttpReceiver(builder.Build());
        receiver.app.Run(receiver.HandleAsync);
        await receiver.app.StartAsync();
        var address = receiver.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.BaseUrl = address.TrimEnd('/');
        return receiver;
    }

    public string Url(string pathAndQuery) => BaseUrl + pathAndQuery;

    /// <summary>The answers to the next requests, in order.</summary>
    public void AnswerWith(params int[] statusCodes)
    {
        foreach (var code in statusCodes)
        {
            answers.Enqueue((code, null));
        }
    }

    /// <summary>The answer to the next request, with a Retry-After header (seconds, or an HTTP date).</summary>
    public void AnswerWith(int statusCode, string retryAfter) => answers.Enqueue((statusCode, retryAfter));

    /// <summary>Requests from now on get their answer only after <see cref="ReleaseAnswers"/>: a receiver that takes its time.</summary>
    public void HoldAnswers() => held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ReleaseAnswers() => held?.TrySetResult();

    public async Task<ReceivedRequest> WaitForRequestAsync(int count = 1, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (requests.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The receiver got {requests.Count} request(s) in {timeoutSeconds} s, not {count}.");
            await Task.Delay(50);
        }

        return requests.ToArray()[count - 1];
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        requests.Enqueue(new ReceivedRequest(
            context.Request.Method,
            context.Request.Path,
            context.Request.QueryString.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            context.Request.ContentType ?? "",
            body));
        if (HoldRequests)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The sender hung up: its process was killed, or its timeout ended the attempt.
            }

            return;
        }

        if (held is { } gate)
        {
            await gate.Task.WaitAsync(context.RequestAborted);
        }

        var (status, retryAfter) = answers.TryDequeue(out var answer) ? answer : (200, null);
        context.Response.StatusCode = status;
        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        if (status is >= 300 and < 400)
        {
            context.Response.Headers.Location = RedirectLocation;
        }

        await context.Response.WriteAsync(status >= 400 ? "the receiver is having a bad day" : "ok", context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
