using System.Diagnostics;
using Automation.Runtime;

namespace Automation.LocalHost.Http;

/// <summary>
/// One line per HTTP request, as the Functions host writes one on Azure — method, path, status and time — with the
/// query string's values masked (<c>?token=***</c>): unsubscribe and waitlist tokens travel there. ASP.NET Core's own
/// request lines, which carry the whole query, are held back by the app (<c>Runtime/FrameworkRequestLogs</c>).
/// </summary>
internal static class RequestLog
{
    public const string Category = "Automation.LocalHost.Requests";

    public static void Use(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        app.Use(async (context, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                logger.LogInformation("HTTP {Method} {Path}{Query} answered {Status} in {Elapsed:0} ms", context.Request.Method, LogText.Redact(context.Request.Path.Value),
                    Masked(context.Request.Query), context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        });
    }

    /// <summary>The query's names with every value replaced by <c>***</c> (a path or a name a client made up may hold an address too).</summary>
    internal static string Masked(IQueryCollection query) =>
        query.Count == 0 ? "" : "?" + string.Join('&', query.Keys.Select(k => LogText.Redact(k) + "=***"));
}
