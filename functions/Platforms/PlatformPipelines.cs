using System.Globalization;
using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Automation.Platforms;

/// <summary>
/// The typed <see cref="HttpClient"/>s for the platforms' Admin APIs, each behind its own resilience pipeline
/// (Microsoft.Extensions.Http.Resilience on Polly 8), one pipeline instance per store. Outermost first:
/// total timeout → retry → circuit breaker → (Shopify) cost throttle → attempt timeout → read the answer.
/// </summary>
public static class PlatformRegistration
{
    public const string Shopify = "Shopify";
    public const string WooCommerce = "WooCommerce";

    public static IServiceCollection AddPlatformClients(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<PlatformResilienceOptions>, ValidatePlatformResilienceOptions>();
        foreach (var platform in new[] { Shopify, WooCommerce })
        {
            services.AddOptions<PlatformResilienceOptions>(platform)
                .BindConfiguration(PlatformResilienceOptions.Section)
                .BindConfiguration($"{PlatformResilienceOptions.Section}:{platform}")
                .ValidateOnStart();
        }

        services.AddHttpClient<Shopify.ShopifyAdminClient>((sp, http) => http.Timeout = Backstop(sp, Shopify))
            .AddResilienceHandler("shopify", (builder, context) => PlatformPipelines.Build(builder, context, Shopify))
            .SelectPipelineBy(_ => PlatformPipelines.StoreKey);
        services.AddHttpClient<WooCommerce.WooCommerceClient>((sp, http) => http.Timeout = Backstop(sp, WooCommerce))
            .AddResilienceHandler("woocommerce", (builder, context) => PlatformPipelines.Build(builder, context, WooCommerce))
            .SelectPipelineBy(_ => PlatformPipelines.StoreKey);
        return services;
    }

    /// <summary>HttpClient's own timeout only backs the pipeline's up; the pipeline's fire first.</summary>
    private static TimeSpan Backstop(IServiceProvider services, string platform)
    {
        var options = services.GetRequiredService<IOptionsMonitor<PlatformResilienceOptions>>().Get(platform);
        return options.TotalTimeout + options.AttemptTimeout;
    }
}

internal static class PlatformPipelines
{
    /// <summary>Pipelines are keyed by store: each store has its own circuit breaker and Shopify cost bucket.</summary>
    public static string StoreKey(HttpRequestMessage request) => PlatformCall.Of(request)?.StoreId ?? "";

    public static void Build(ResiliencePipelineBuilder<HttpResponseMessage> builder, ResilienceHandlerContext context, string platform)
    {
        var options = context.GetOptions<PlatformResilienceOptions>(platform);
        var services = context.ServiceProvider;
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger($"Automation.Platforms.{platform}");
        var store = context.InstanceName;

        builder.AddTimeout(new TimeoutStrategyOptions { Name = "total-timeout", Timeout = options.TotalTimeout });

        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                Name = "retry",
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context, options, time)),
                DelayGenerator = args => ValueTask.FromResult(PlatformWait(args.Outcome, time)),
                OnRetry = args =>
                {
                    var call = PlatformCall.Of(args.Context.GetRequestMessage());
                    logger.LogWarning("{Platform} {Operation} for store {StoreId} failed ({Failure}); retry {Attempt} in {Delay}",
                        platform, call?.Name, store, Describe(args.Outcome), args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            });
        }

        var breaker = options.CircuitBreaker;
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            Name = "circuit-breaker",
            FailureRatio = breaker.FailureRatio,
            MinimumThroughput = breaker.MinimumThroughput,
            SamplingDuration = breaker.SamplingDuration,
            BreakDuration = breaker.BreakDuration,
            ShouldHandle = args => ValueTask.FromResult(IsOutage(args.Outcome)),
            OnOpened = args =>
            {
                logger.LogWarning("{Platform} circuit for store {StoreId} opened for {Break} after {Failure}: its calls fail at once meanwhile",
                    platform, store, args.BreakDuration, Describe(args.Outcome));
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                logger.LogInformation("{Platform} circuit for store {StoreId} closed: calls go through again", platform, store);
                return ValueTask.CompletedTask;
            },
        });

        if (platform == PlatformRegistration.Shopify)
            builder.AddStrategy(_ => new ShopifyCostThrottle(options, time));

        builder.AddTimeout(new TimeoutStrategyOptions { Name = "attempt-timeout", Timeout = options.AttemptTimeout });

        // Innermost: the answer is read within the attempt's timeout, so a body that stalls or breaks off is that
        // attempt's failure (and the cost throttle can read it).
        builder.AddStrategy(_ => new ReadAnswerStrategy());
    }

    /// <summary>
    /// Reads are retried on 408, 429, 5xx, timeouts and network errors. Writes only when the platform certainly did
    /// not carry them out: 429, <c>THROTTLED</c>, or a connection never made. A wait beyond
    /// <see cref="PlatformResilienceOptions.MaxRetryAfter"/> is not waited here.
    /// </summary>
    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ResilienceContext context, PlatformResilienceOptions options, TimeProvider time)
    {
        if (context.CancellationToken.IsCancellationRequested) return false;
        var write = PlatformCall.Of(context.GetRequestMessage())?.IsMutation ?? true;
        if (outcome.Exception is { } exception)
        {
            return exception switch
            {
                PlatformThrottledException throttled => throttled.Wait <= options.MaxRetryAfter,
                BrokenCircuitException => false,
                HttpRequestException http => !write || PlatformHttp.NeverSent(http),
                TimeoutRejectedException => !write,
                _ => false,
            };
        }

        var response = outcome.Result!;
        var rateLimited = response.StatusCode == HttpStatusCode.TooManyRequests;
        if (!rateLimited && (write || !PlatformHttp.IsServerSide(response.StatusCode))) return false;
        return RetryAfter(response, time) is not { } wait || wait <= options.MaxRetryAfter;
    }

    /// <summary>The wait the platform asked for; null = the back-off.</summary>
    private static TimeSpan? PlatformWait(Outcome<HttpResponseMessage> outcome, TimeProvider time) =>
        outcome.Exception is PlatformThrottledException throttled ? throttled.Wait
        : outcome.Result is { } response ? RetryAfter(response, time)
        : null;

    /// <summary>Failures that say the store's API is in trouble. 429 and <c>THROTTLED</c> are not: it answers, and asks us to slow down.</summary>
    private static bool IsOutage(Outcome<HttpResponseMessage> outcome) => outcome.Exception switch
    {
        null => PlatformHttp.IsServerSide(outcome.Result!.StatusCode),
        PlatformThrottledException => false,
        OperationCanceledException => false,
        _ => true,
    };

    /// <summary>
    /// <c>Retry-After</c> in seconds (Shopify sends decimals, "2.0") or as an HTTP-date, which is taken relative to the
    /// answer's own <c>Date</c> so the two clocks need not agree.
    /// </summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        if (!response.Headers.NonValidated.TryGetValues("Retry-After", out var values)) return null;
        var raw = values.ToString().Trim();
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            return double.IsFinite(seconds) && seconds >= 0 ? TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.FromDays(1).TotalSeconds)) : null;
        if (!DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var date)) return null;
        var now = response.Headers.Date ?? time.GetUtcNow();
        return date > now ? date - now : TimeSpan.Zero;
    }

    private static string Describe(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is { } ex ? ex.GetType().Name + (ex is PlatformThrottledException ? ": " + ex.Message : "")
        : $"HTTP {(int)outcome.Result!.StatusCode}";

    /// <summary>Buffers the answer inside the attempt.</summary>
    private sealed class ReadAnswerStrategy : ResilienceStrategy<HttpResponseMessage>
    {
        protected override async ValueTask<Outcome<HttpResponseMessage>> ExecuteCore<TState>(
            Func<ResilienceContext, TState, ValueTask<Outcome<HttpResponseMessage>>> callback, ResilienceContext context, TState state)
        {
            var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
            if (outcome.Result is not { } response) return outcome;
            try
            {
                await response.Content.LoadIntoBufferAsync(context.CancellationToken).ConfigureAwait(context.ContinueOnCapturedContext);
                return outcome;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
            {
                response.Dispose();
                return Outcome.FromException<HttpResponseMessage>(ex is IOException ? new HttpRequestException(HttpRequestError.ResponseEnded, "The answer broke off.", ex) : ex);
            }
        }
    }
}
