using System.Text.RegularExpressions;

namespace Automation.Runtime;

/// <summary>
/// Text from elsewhere (an exception's message, a platform's or an SMTP server's answer) before it goes into a log
/// line: such text can quote what it was given, and what we give platforms and mail servers carries email addresses.
/// </summary>
public static partial class LogText
{
    /// <summary>The text with every email address replaced by <c>[email]</c>.</summary>
    public static string Redact(string? text) => string.IsNullOrEmpty(text) ? "" : EmailAddress().Replace(text, "[email]");

    /// <summary>An exception for a log line: its type and its message, redacted; never its inner exceptions or stack.</summary>
    public static string Describe(Exception exception) => $"{exception.GetType().Name}: {Redact(exception.Message)}";

    /// <summary>
    /// An exception nobody expected, for an error line: types, messages (redacted) and stack of it and its inner
    /// exceptions. Logged as text, not as the exception, so that no logging backend writes the raw messages.
    /// </summary>
    public static string Detailed(Exception exception) => Redact(exception.ToString());

    // An address as written (ann@example.com) or percent-encoded in a URL (ann%40example.com).
    [GeneratedRegex(@"[^\s<>()\[\]:;,""'@/?&=]+(?:@|%40)[^\s<>()\[\]:;,""'@/?&=%]+\.[^\s<>()\[\]:;,""'@/?&=%]+", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex EmailAddress();
}

/// <summary>
/// The framework's request logs, which would write query strings (unsubscribe and waitlist tokens travel there):
/// ASP.NET Core's hosting diagnostics log every request line with its query (<c>Request starting HTTP/1.1 GET
/// http://…/api/unsubscribe?token=…</c>, and <c>Request finished …</c>), and Kestrel's bad-request log quotes the raw
/// request line. Those categories are held at a level above those lines whatever the configuration says (also a
/// provider-specific <c>Logging:Console:LogLevel</c>); the local host writes a request line of its own with the query's
/// values masked. On Azure the Functions host in front of the worker keeps request logs of its own (README, Security).
/// </summary>
public static class FrameworkRequestLogs
{
    /// <summary>Each category and the lowest level it may write.</summary>
    public static readonly IReadOnlyList<(string Category, LogLevel Minimum)> Pinned =
    [
        ("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning),
        ("Microsoft.AspNetCore.Server.Kestrel.BadRequests", LogLevel.Information),
    ];

    public static IServiceCollection AddFrameworkRequestLogRedaction(this IServiceCollection services) =>
        services.PostConfigure<LoggerFilterOptions>(options =>
        {
            // After every Configure (appsettings, Logging:* sections, AddFilter calls): for each provider that has rules of
            // its own, and for all others (provider null), the last rule at the most specific category is ours.
            var providers = options.Rules.Select(r => r.ProviderName).Append(null).Distinct().ToList();
            foreach (var (category, minimum) in Pinned)
            {
                foreach (var provider in providers)
                {
                    var stricter = options.Rules
                        .Where(r => r.ProviderName == provider && string.Equals(r.CategoryName, category, StringComparison.OrdinalIgnoreCase) && r.LogLevel > minimum)
                        .Select(r => r.LogLevel!.Value).DefaultIfEmpty(minimum).Max();
                    options.Rules.Add(new LoggerFilterRule(provider, category, stricter, filter: null));
                }
            }
        });
}
