using System.Net;

namespace Automation.Platforms;

/// <summary>A platform API call that failed. Transient failures are worth retrying later; permanent ones are recorded and skipped.</summary>
public sealed class PlatformException(string message, HttpStatusCode? statusCode, string? errorCode, bool isTransient, Exception? inner = null)
    : Exception(message, inner)
{
    public HttpStatusCode? StatusCode { get; } = statusCode;

    /// <summary>WooCommerce's error <c>code</c> (e.g. <c>woocommerce_rest_coupon_code_already_exists</c>) or Shopify's GraphQL error code.</summary>
    public string? ErrorCode { get; } = errorCode;

    public bool IsTransient { get; } = isTransient;
}

/// <summary>Retry timing shared by the platform clients: Retry-After when given, otherwise exponential back-off.</summary>
public sealed class PlatformRetryOptions
{
    public int MaxAttempts { get; set; } = 5;
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1) * (0.8 + (Random.Shared.NextDouble() * 0.4))));

    internal static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter?.Delta is { } delta) return delta;
        if (response.Headers.TryGetValues("Retry-After", out var values)
            && double.TryParse(values.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
            return TimeSpan.FromSeconds(seconds);
        return null;
    }

    /// <summary>
    /// Runs one platform call with retries: <paramref name="attempt"/> returns the result, or a retry request
    /// (with the wait the platform asked for, if any); network errors and timeouts are retried too. After
    /// <see cref="MaxAttempts"/> a transient <see cref="PlatformException"/> is thrown, so the queue retries later.
    /// </summary>
    internal async Task<T> RunAsync<T>(string platform, string storeId, Func<CancellationToken, Task<PlatformAttempt<T>>> attempt, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        for (var number = 1; ; number++)
        {
            PlatformAttempt<T> outcome;
            try
            {
                outcome = await attempt(cancellationToken);
                if (outcome.Done) return outcome.Result!;
            }
            catch (HttpRequestException ex)
            {
                outcome = PlatformAttempt<T>.Retry(null, ex.Message, null);
            }
            catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                outcome = PlatformAttempt<T>.Retry(null, "timeout: " + ex.Message, null);
            }

            if (number >= MaxAttempts)
                throw new PlatformException($"{platform} call for store {storeId} still failing after {number} attempts ({outcome.Failure}).", outcome.Status, outcome.Failure, isTransient: true);
            var delay = outcome.Wait ?? Backoff(number);
            logger.LogWarning("{Platform} call for store {StoreId} failed ({Failure}); retry {Attempt} in {Delay}", platform, storeId, outcome.Failure, number, delay);
            await Task.Delay(delay, time, cancellationToken);
        }
    }

    internal static bool IsTransientStatus(HttpStatusCode status) => status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)status >= 500;
}

/// <summary>One try of a platform call: its result, or why and how long to wait before the next.</summary>
internal readonly record struct PlatformAttempt<T>(bool Done, T? Result, TimeSpan? Wait, string? Failure, HttpStatusCode? Status)
{
    public static PlatformAttempt<T> Success(T result) => new(true, result, null, null, null);

    public static PlatformAttempt<T> Retry(TimeSpan? wait, string failure, HttpStatusCode? status) => new(false, default, wait, failure, status);
}

public static class PlatformRegistration
{
    public static IServiceCollection AddPlatformClients(this IServiceCollection services)
    {
        services.AddOptions<PlatformRetryOptions>().BindConfiguration("Platforms:Retry");
        services.AddHttpClient<Shopify.ShopifyAdminClient>(c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddHttpClient<WooCommerce.WooCommerceClient>(c => c.Timeout = TimeSpan.FromSeconds(30));
        return services;
    }
}
