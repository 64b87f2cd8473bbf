using System.Text.Json;
using ImapEvents.Tests.TestSupport;

namespace ImapEvents.Tests.Web;

/// <summary>The built app in Production with Logging__Console__FormatterName=json, as an operator switches it on.</summary>
public sealed class JsonLogTests : IAsyncLifetime
{
    private readonly TestDatabase database = new();

    public Task InitializeAsync() => database.InitializeAsync();

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task JsonConsoleLogs_AreOneObjectPerLine_WithTimestampsAndScopes()
    {
        await using var app = await AppProcess.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["Logging__Console__FormatterName"] = "json",
            // A request's own log lines, which ASP.NET Core writes inside its request scope.
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        });
        using var http = new HttpClient();
        Assert.Equal("Healthy", await http.GetStringAsync($"{app.BaseUrl}/healthz?json-log-test"));

        JsonElement? requestLine = null;
        await Eventually.TrueAsync(
            () => (requestLine = FindRequestLine(app.Lines())) is not null, "No JSON line for the request to /healthz:\n" + app.Output());

        var lines = app.Lines().Where(line => line.Length > 0).ToList();
        Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
        var request = requestLine!.Value;
        Assert.True(DateTimeOffset.TryParse(request.GetProperty("Timestamp").GetString(), out _), request.ToString());
        Assert.Contains(request.GetProperty("Scopes").EnumerateArray(), scope =>
            scope.ValueKind == JsonValueKind.Object && scope.TryGetProperty("RequestPath", out var path) && path.GetString() == "/healthz");
    }

    private static JsonElement? FindRequestLine(IReadOnlyList<string> lines)
    {
        foreach (var line in lines.Where(line => line.Contains("json-log-test", StringComparison.Ordinal)))
        {
            var root = JsonDocument.Parse(line).RootElement;
            if (root.GetProperty("Category").GetString() == "Microsoft.AspNetCore.Hosting.Diagnostics")
            {
                return root.Clone();
            }
        }

        return null;
    }
}
