using System.Collections.Concurrent;
using System.Text.Json;
using Polly;

namespace Automation.Platforms;

/// <summary>
/// The platform refused a request without carrying it out and asked for a wait (Shopify's <c>THROTTLED</c>, or a wait
/// for the cost bucket longer than allowed). Safe to send again after <see cref="Wait"/>, writes included.
/// </summary>
internal sealed class PlatformThrottledException(string message, TimeSpan wait) : Exception(message)
{
    public TimeSpan Wait { get; } = wait;
}

/// <summary>
/// Shopify's GraphQL Admin API limits each store by calculated query cost: a bucket of <c>maximumAvailable</c> points
/// that refills at <c>restoreRate</c> per second, reported after every query in <c>extensions.cost.throttleStatus</c>.
/// One instance per store (the pipelines are keyed by store). Before a query it waits until the bucket, as last
/// reported and refilled since, holds the query's cost (its <c>requestedQueryCost</c> last time, else
/// <see cref="PlatformResilienceOptions.DefaultQueryCost"/>), so the store is not driven into <c>THROTTLED</c>; a
/// <c>THROTTLED</c> answer (not executed) becomes a <see cref="PlatformThrottledException"/> with the wait for the
/// restore, which the retry waits out — also for mutations, as Shopify ran nothing.
/// </summary>
internal sealed class ShopifyCostThrottle(PlatformResilienceOptions options, TimeProvider time) : ResilienceStrategy<HttpResponseMessage>
{
    private const int MaxRememberedQueries = 500;

    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, double> _costs = new(StringComparer.Ordinal);
    private double? _maximum;
    private double _available;
    private double _restoreRate;
    private long _at;

    protected override async ValueTask<Outcome<HttpResponseMessage>> ExecuteCore<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<HttpResponseMessage>>> callback, ResilienceContext context, TState state)
    {
        var call = PlatformCall.Of(context.GetRequestMessage());
        var cost = call is not null && _costs.TryGetValue(call.Operation, out var known) ? known : options.DefaultQueryCost;
        var wait = Reserve(cost, options.MaxRetryAfter);
        if (wait > options.MaxRetryAfter)
            return Outcome.FromException<HttpResponseMessage>(new PlatformThrottledException($"the store's query cost bucket needs {wait.TotalSeconds:0.#} s to hold {cost} points", wait));
        if (wait > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(wait, time, context.CancellationToken).ConfigureAwait(context.ContinueOnCapturedContext);
            }
            catch (OperationCanceledException ex)
            {
                return Outcome.FromException<HttpResponseMessage>(ex);
            }
        }

        var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
        if (outcome.Result is not { } response || (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.TooManyRequests)) return outcome;

        var answer = await ReadCostAsync(response, context.CancellationToken).ConfigureAwait(context.ContinueOnCapturedContext);
        if (answer.Status is { } status)
        {
            Observe(status);
            if (call is not null && answer.RequestedCost is { } requested && (_costs.Count < MaxRememberedQueries || _costs.ContainsKey(call.Operation)))
                _costs[call.Operation] = requested;
        }

        // A 429 is the retry's to handle (with its Retry-After); a THROTTLED body comes with 200.
        if (!answer.Throttled || !response.IsSuccessStatusCode) return outcome;

        response.Dispose();
        var restore = answer.Status is { RestoreRate: > 0 } s
            ? TimeSpan.FromSeconds(Math.Max(0, (answer.RequestedCost ?? cost) - s.CurrentlyAvailable) / s.RestoreRate)
            : options.BaseDelay;
        return Outcome.FromException<HttpResponseMessage>(new PlatformThrottledException($"THROTTLED; the bucket refills in {restore.TotalSeconds:0.#} s", restore));
    }

    /// <summary>
    /// How long to wait before a query of <paramref name="cost"/>; unless that is beyond <paramref name="limit"/>, the
    /// cost is taken from the bucket now (it may go below zero, so later callers wait their turn).
    /// </summary>
    private TimeSpan Reserve(double cost, TimeSpan limit)
    {
        lock (_gate)
        {
            if (_maximum is not { } maximum || _restoreRate <= 0) return TimeSpan.Zero;
            var now = time.GetTimestamp();
            var available = Math.Min(maximum, _available + (time.GetElapsedTime(_at, now).TotalSeconds * _restoreRate));
            var needed = Math.Min(cost, maximum);
            var wait = available >= needed ? TimeSpan.Zero : TimeSpan.FromSeconds((needed - available) / _restoreRate);
            if (wait > limit) return wait;
            _available = available - needed;
            _at = now;
            return wait;
        }
    }

    private void Observe(ThrottleStatus status)
    {
        lock (_gate)
        {
            _maximum = status.MaximumAvailable;
            _available = status.CurrentlyAvailable;
            _restoreRate = status.RestoreRate;
            _at = time.GetTimestamp();
        }
    }

    private static async Task<CostAnswer> ReadCostAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return default;
            var throttled = root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array
                && errors.EnumerateArray().Any(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("extensions", out var x) && x.ValueKind == JsonValueKind.Object
                    && x.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String && code.GetString() == "THROTTLED");
            if (!root.TryGetProperty("extensions", out var extensions) || extensions.ValueKind != JsonValueKind.Object
                || !extensions.TryGetProperty("cost", out var cost) || cost.ValueKind != JsonValueKind.Object)
                return new CostAnswer(throttled, null, null);

            double? requested = cost.TryGetProperty("requestedQueryCost", out var r) && r.ValueKind == JsonValueKind.Number ? r.GetDouble() : null;
            ThrottleStatus? status = cost.TryGetProperty("throttleStatus", out var t) && t.ValueKind == JsonValueKind.Object
                && Number(t, "maximumAvailable") is { } max && Number(t, "currentlyAvailable") is { } current && Number(t, "restoreRate") is { } rate
                    ? new ThrottleStatus(max, current, rate)
                    : null;
            return new CostAnswer(throttled, requested, status);
        }
        catch (JsonException)
        {
            // Not JSON: nothing to learn here; the client says what is wrong with it.
            return default;
        }
    }

    private static double? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private readonly record struct ThrottleStatus(double MaximumAvailable, double CurrentlyAvailable, double RestoreRate);

    private readonly record struct CostAnswer(bool Throttled, double? RequestedCost, ThrottleStatus? Status);
}
