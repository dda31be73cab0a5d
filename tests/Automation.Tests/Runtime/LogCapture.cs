using System.Collections.Concurrent;
using System.Text;

namespace Automation.Tests.Runtime;

/// <summary>One log line as any logging backend would receive it: the formatted message, the exception, the structured values and the scopes.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, EventId EventId, string Message, string Text);

/// <summary>
/// A logger provider added to the app's host that keeps every line of every category at every level (it is enabled
/// for all; the host's filter rules decide, as they do for the console or Application Insights).
/// </summary>
[ProviderAlias(Alias)]
public sealed class LogCapture : ILoggerProvider, ISupportExternalScope
{
    public const string Alias = "Capture";
    private readonly ConcurrentQueue<CapturedLog> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<CapturedLog> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            var text = new StringBuilder(message);
            if (exception is not null) text.Append('\n').Append(exception);
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values) text.Append('\n').Append(key).Append('=').Append(value);
            }

            owner._scopes.ForEachScope((scope, builder) =>
            {
                builder.Append("\nscope: ").Append(scope);
                if (scope is IEnumerable<KeyValuePair<string, object?>> items)
                {
                    foreach (var (key, value) in items) builder.Append(' ').Append(key).Append('=').Append(value);
                }
            }, text);
            owner._lines.Enqueue(new CapturedLog(category, logLevel, eventId, message, text.ToString()));
        }
    }
}
