using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Automation.Runtime;

/// <summary>
/// The app's own traces (<see cref="Source"/>) and metrics (<see cref="Meter"/>), both named "Automation".
/// Tags carry store ids, platforms, flows, functions and outcomes — never an email address, a name, an address or a
/// payload (README "Telemetry").
/// </summary>
public static class AutomationTelemetry
{
    public const string Name = "Automation";

    /// <summary>The JSON property that carries the W3C trace context in our queue messages.</summary>
    public const string TraceParentProperty = "traceParent";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    private static readonly Counter<long> DeliveriesAccepted = Meter.CreateCounter<long>("automation.deliveries.accepted", "{delivery}", "Webhook deliveries authenticated and queued.");
    private static readonly Counter<long> DeliveriesRefused = Meter.CreateCounter<long>("automation.deliveries.refused", "{delivery}", "Webhook deliveries refused (signature, size, storage unavailable).");
    private static readonly Counter<long> FlowsStarted = Meter.CreateCounter<long>("automation.flows.started", "{flow}", "Flows (orchestrations) started.");
    private static readonly Counter<long> FlowsCompleted = Meter.CreateCounter<long>("automation.flows.completed", "{flow}", "Flows that ran every step.");
    private static readonly Counter<long> FlowsExited = Meter.CreateCounter<long>("automation.flows.exited", "{flow}", "Flows that ended early (exit event, a re-check, skipped or failed; flow.state says which).");
    private static readonly Counter<long> Effects = Meter.CreateCounter<long>("automation.effects", "{effect}", "Side effects performed (not repeats of a recorded one), by kind.");
    private static readonly Counter<long> EmailsSent = Meter.CreateCounter<long>("automation.emails.sent", "{email}", "Emails handed to the SMTP server.");
    private static readonly Counter<long> CouponsIssued = Meter.CreateCounter<long>("automation.coupons.issued", "{coupon}", "Recovery coupons created at the platform.");
    private static readonly Counter<double> RevenueRecovered = Meter.CreateCounter<double>("automation.revenue.recovered", null, "Order totals attributed to a recovery message, in the order's currency (the currency tag).");

    public static void DeliveryAccepted(string platform, string storeId) =>
        DeliveriesAccepted.Add(1, new("platform", platform), new("store.id", storeId));

    public static void DeliveryRefused(string platform, string reason) =>
        DeliveriesRefused.Add(1, new("platform", platform), new("reason", reason));

    public static void FlowStarted(string flow, string storeId) =>
        FlowsStarted.Add(1, new("flow", flow), new("store.id", storeId));

    public static void FlowEnded(string flow, string storeId, string state, bool completed) =>
        (completed ? FlowsCompleted : FlowsExited).Add(1, new("flow", flow), new("store.id", storeId), new("flow.state", state));

    /// <summary>An effect was performed (<paramref name="kind"/>: the idempotency key's first segment, e.g. email, coupon, label).</summary>
    public static void EffectPerformed(string kind, string storeId)
    {
        Effects.Add(1, new("effect.kind", kind), new("store.id", storeId));
        if (kind == "email") EmailsSent.Add(1, new KeyValuePair<string, object?>("store.id", storeId));
        else if (kind == "coupon") CouponsIssued.Add(1, new KeyValuePair<string, object?>("store.id", storeId));
    }

    public static void Recovered(string storeId, string currency, decimal amount) =>
        RevenueRecovered.Add((double)amount, new("store.id", storeId), new("currency", currency));

    /// <summary>The current trace context to put on a message (null outside a trace).</summary>
    public static string? CurrentTraceParent => Activity.Current?.Id is { } id && Activity.Current.IdFormat == ActivityIdFormat.W3C ? id : null;

    /// <summary>Adds the current trace context to a JSON object message (any other body is returned as it is).</summary>
    public static BinaryData WithTraceParent(BinaryData json)
    {
        if (CurrentTraceParent is not { } traceParent || JsonNode.Parse(json) is not JsonObject message || message.ContainsKey(TraceParentProperty)) return json;
        message[TraceParentProperty] = traceParent;
        return BinaryData.FromString(message.ToJsonString(Json.Options));
    }

    /// <summary>The trace context a queue message carries, if it carries a valid one (a top-level <c>traceParent</c>).</summary>
    public static ActivityContext? TraceParentOf(ReadOnlyMemory<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json.Span);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isTraceParent = reader.ValueTextEquals(TraceParentProperty);
                if (!reader.Read()) return null;
                if (isTraceParent)
                {
                    return reader.TokenType == JsonTokenType.String && ActivityContext.TryParse(reader.GetString(), null, isRemote: true, out var context) ? context : null;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Not JSON: the function's own reading says so; telemetry has nothing to add.
        }

        return null;
    }
}
