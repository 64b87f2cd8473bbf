using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ImapEvents.Tests.TestSupport;

/// <summary>One line the app logged, with the properties of the scopes it was logged in.</summary>
public sealed record CapturedEntry(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Scopes);

public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> lines = new();
    private readonly ConcurrentQueue<CapturedEntry> entries = new();
    private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

    public IReadOnlyCollection<string> Lines => lines;

    public IReadOnlyCollection<CapturedEntry> Entries => entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner.scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                var message = formatter(state, exception);
                owner.lines.Enqueue($"{logLevel} {category}: {message} {exception}");
                var scopeProperties = new Dictionary<string, object?>();
                owner.scopes.ForEachScope(
                    (scope, properties) =>
                    {
                        if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                        {
                            foreach (var (key, value) in pairs)
                            {
                                properties[key] = value;
                            }
                        }
                    },
                    scopeProperties);
                owner.entries.Enqueue(new CapturedEntry(category, logLevel, message, scopeProperties));
            }
        }
    }
}
