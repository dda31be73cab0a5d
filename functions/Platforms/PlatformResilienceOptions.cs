namespace Automation.Platforms;

/// <summary>
/// How calls to one platform are made resilient. <c>Platforms:*</c> applies to both platforms;
/// <c>Platforms:Shopify:*</c> and <c>Platforms:WooCommerce:*</c> override it for one.
/// </summary>
public sealed class PlatformResilienceOptions
{
    public const string Section = "Platforms";

    /// <summary>One request, answer read in full.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>One call: every attempt and every wait between them.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Retries of a read (and of a write the platform refused unexecuted: 429, <c>THROTTLED</c>). 0 = none.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>Back-off when the platform names no wait: exponential from this, with jitter.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest wait the platform may ask for (Retry-After, Shopify's cost restore) that is waited out here; a longer
    /// one fails the call at once as transient, and the caller's own retry (Durable, the queue) comes back later.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Shopify: the cost assumed for a query not answered yet (afterwards its <c>requestedQueryCost</c> is used).</summary>
    public double DefaultQueryCost { get; set; } = 50;

    public PlatformCircuitBreakerOptions CircuitBreaker { get; set; } = new();
}

/// <summary>One circuit per store: after too many failures its calls fail at once for <see cref="BreakDuration"/>.</summary>
public sealed class PlatformCircuitBreakerOptions
{
    /// <summary>Share of failed attempts (5xx, 408, timeouts, network errors; not 429) that opens the circuit.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Attempts within <see cref="SamplingDuration"/> before the ratio counts.</summary>
    public int MinimumThroughput { get; set; } = 10;

    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}

internal static class PlatformResilienceValidation
{
    /// <summary>Every problem, naming its setting; the bounds are Polly's own where it has them.</summary>
    public static IEnumerable<string> Problems(string platform, PlatformResilienceOptions o)
    {
        var p = $"{PlatformResilienceOptions.Section}:{platform}:";
        if (o.AttemptTimeout < TimeSpan.FromMilliseconds(10)) yield return $"{p}AttemptTimeout must be at least 10 ms.";
        if (o.TotalTimeout < o.AttemptTimeout || o.TotalTimeout > TimeSpan.FromHours(1)) yield return $"{p}TotalTimeout must be at least AttemptTimeout and at most an hour.";
        if (o.MaxRetries is < 0 or > 100) yield return $"{p}MaxRetries must be between 0 and 100.";
        if (o.BaseDelay < TimeSpan.Zero || o.BaseDelay > TimeSpan.FromHours(1)) yield return $"{p}BaseDelay must be between 0 and an hour.";
        if (o.MaxDelay < o.BaseDelay) yield return $"{p}MaxDelay must be at least BaseDelay.";
        if (o.MaxRetryAfter < TimeSpan.Zero || o.MaxRetryAfter >= o.TotalTimeout) yield return $"{p}MaxRetryAfter must be at least 0 and below TotalTimeout.";
        if (o.DefaultQueryCost is <= 0 or > 10_000 || double.IsNaN(o.DefaultQueryCost)) yield return $"{p}DefaultQueryCost must be above 0 and at most 10000.";
        var cb = o.CircuitBreaker;
        if (cb.FailureRatio is <= 0 or > 1 || double.IsNaN(cb.FailureRatio)) yield return $"{p}CircuitBreaker:FailureRatio must be above 0 and at most 1.";
        if (cb.MinimumThroughput < 2) yield return $"{p}CircuitBreaker:MinimumThroughput must be at least 2.";
        if (cb.SamplingDuration < TimeSpan.FromMilliseconds(500) || cb.SamplingDuration > TimeSpan.FromDays(1)) yield return $"{p}CircuitBreaker:SamplingDuration must be between 500 ms and a day.";
        if (cb.BreakDuration < TimeSpan.FromMilliseconds(500) || cb.BreakDuration > TimeSpan.FromDays(1)) yield return $"{p}CircuitBreaker:BreakDuration must be between 500 ms and a day.";
    }
}

internal sealed class ValidatePlatformResilienceOptions : Microsoft.Extensions.Options.IValidateOptions<PlatformResilienceOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, PlatformResilienceOptions options)
    {
        var problems = PlatformResilienceValidation.Problems(name ?? "", options).ToList();
        return problems.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(problems);
    }
}
