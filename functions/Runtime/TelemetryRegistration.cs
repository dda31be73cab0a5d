using System.Diagnostics;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Automation.Runtime;

/// <summary>
/// OpenTelemetry in the worker: what to trace and measure is always configured; exporting happens only when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set (Azure Monitor, with Entra auth when
/// <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> says <c>Authorization=AAD</c>). Without it nothing is collected.
/// </summary>
internal static partial class TelemetryRegistration
{
    /// <summary>What the app's traces are made of: its own spans, the worker's invocations, Durable's orchestrations and activities, outgoing HTTP (platform APIs).</summary>
    public static readonly string[] TraceSources = [AutomationTelemetry.Name, "Microsoft.Azure.Functions.Worker", "DurableTask.Core", "System.Net.Http"];

    public static IServiceCollection AddTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        // Applies to whichever tracer and meter providers get built: Azure Monitor's below, or a test's.
        services.ConfigureOpenTelemetryTracerProvider((provider, tracing) => tracing.AddSource(TraceSources)
            .AddProcessor(new RedactEmailAddresses())
            .AddProcessor(new SkipStorageAndBackgroundCalls(provider.GetRequiredService<Storage.StorageClients>())));
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(AutomationTelemetry.Name));

        if (configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"] is not { Length: > 0 } connectionString) return services;

        services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithTracing(_ => { })
            .WithMetrics(_ => { })
            .UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = connectionString;
                options.Credential = EntraCredential(configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
            });
        return services;
    }

    /// <summary><c>ClientId={id};Authorization=AAD</c> (a user-assigned identity) or <c>Authorization=AAD</c> (system-assigned); null otherwise.</summary>
    internal static TokenCredential? EntraCredential(string? authentication)
    {
        if (string.IsNullOrWhiteSpace(authentication)) return null;
        var parts = authentication.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Authorization", out var kind) || !string.Equals(kind, "AAD", StringComparison.OrdinalIgnoreCase)) return null;
        return parts.TryGetValue("ClientId", out var clientId) && clientId.Length > 0
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
    }

    /// <summary>
    /// Outgoing HTTP calls are recorded when they are a platform's API (or anything else outside) inside a trace. Calls
    /// to the app's own storage (a dozen per flow step: they would be most of what is ingested, and paid for) and calls
    /// outside any trace (polls, lease renewals) are not. Decided when the span ends, so the trace context the call sent
    /// is unchanged. Processors run in the order added; exporters added after this one skip what it unrecorded.
    /// </summary>
    internal sealed class SkipStorageAndBackgroundCalls(Storage.StorageClients storage) : BaseProcessor<Activity>
    {
        private readonly HashSet<string> _storage = new(
            new[] { storage.Blobs.Uri, storage.Queues.Uri, storage.Tables.Uri }.Select(u => u.Authority), StringComparer.OrdinalIgnoreCase);

        public override void OnEnd(Activity data)
        {
            if (data.Kind != ActivityKind.Client || data.Source.Name != "System.Net.Http") return;
            var background = data.ParentSpanId == default;
            var toStorage = data.GetTagItem("url.full") is string url && Uri.TryCreate(url, UriKind.Absolute, out var uri) && _storage.Contains(uri.Authority);
            if (background || toStorage) data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }

    /// <summary>
    /// A last guard: a span attribute or status that looks like an email address is replaced before export. Our own
    /// tags never carry one; this catches what a library might add (a refused recipient in an error, say).
    /// </summary>
    internal sealed partial class RedactEmailAddresses : BaseProcessor<Activity>
    {
        public const string Redacted = "[redacted]";

        public override void OnEnd(Activity data)
        {
            foreach (var (key, value) in data.TagObjects.ToList())
            {
                if (value is string text && EmailAddress().IsMatch(text)) data.SetTag(key, EmailAddress().Replace(text, Redacted));
            }

            if (data.StatusDescription is { } status && EmailAddress().IsMatch(status)) data.SetStatus(data.Status, EmailAddress().Replace(status, Redacted));
        }

        [GeneratedRegex(@"[^\s@<>""',;:()\[\]]+@[^\s@<>""',;:()\[\]]+\.[A-Za-z]{2,}")]
        internal static partial Regex EmailAddress();
    }
}
