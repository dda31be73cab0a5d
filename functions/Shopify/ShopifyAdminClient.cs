using System.Net.Http.Json;
using System.Text.Json;
using Automation.Runtime;
using Automation.Platforms;
using Automation.Stores;
using Microsoft.Extensions.Options;

namespace Automation.Shopify;

/// <summary>
/// Shopify's GraphQL Admin API: <c>POST {AdminApiBaseUrl}/graphql.json</c> with <c>X-Shopify-Access-Token</c>.
/// Throttling (<c>THROTTLED</c> in the body, or HTTP 429/503) waits as told (Retry-After, or the cost over the
/// restore rate) and retries; other 5xx retry with back-off. Callers check <c>userErrors</c> themselves.
/// </summary>
public sealed class ShopifyAdminClient(HttpClient http, IOptions<PlatformRetryOptions> retry, TimeProvider time, ILogger<ShopifyAdminClient> logger)
{
    public async Task<JsonElement> GraphQLAsync(Store store, string query, object? variables, CancellationToken cancellationToken)
    {
        if (store.Platform != Platform.Shopify || store.AdminApiBaseUrl is null || store.AccessToken is null)
            throw new PlatformException($"Store {store.Id} has no Shopify Admin API configured (AdminApiBaseUrl, AccessToken).", null, "not_configured", isTransient: false);

        var url = new Uri(store.AdminApiBaseUrl.ToString().TrimEnd('/') + "/graphql.json");
        return await retry.Value.RunAsync("Shopify", store.Id, async ct =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = JsonContent.Create(new { query, variables }, options: Json.Options),
            };
            request.Headers.Add("X-Shopify-Access-Token", store.AccessToken);
            using var response = await http.SendAsync(request, ct);
            if (PlatformRetryOptions.IsTransientStatus(response.StatusCode))
                return PlatformAttempt<JsonElement>.Retry(PlatformRetryOptions.RetryAfter(response), $"HTTP {(int)response.StatusCode}", response.StatusCode);
            if (!response.IsSuccessStatusCode)
                throw new PlatformException($"Shopify answered HTTP {(int)response.StatusCode} for store {store.Id}.", response.StatusCode, null, isTransient: false);

            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
            var root = document.RootElement;
            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
            {
                var code = errors[0].TryGetProperty("extensions", out var ext) && ext.TryGetProperty("code", out var c) ? c.GetString() : null;
                if (code != "THROTTLED")
                    throw new PlatformException($"Shopify GraphQL error: {errors[0].GetProperty("message").GetString()}", response.StatusCode, code, isTransient: false);
                return PlatformAttempt<JsonElement>.Retry(ThrottleWait(root), "THROTTLED", response.StatusCode);
            }

            return PlatformAttempt<JsonElement>.Success(root.GetProperty("data").Clone());
        }, time, logger, cancellationToken);
    }

    /// <summary>When throttled, wait until the bucket has restored enough for the requested cost.</summary>
    private static TimeSpan? ThrottleWait(JsonElement root)
    {
        if (root.TryGetProperty("extensions", out var ext) && ext.TryGetProperty("cost", out var cost)
            && cost.TryGetProperty("requestedQueryCost", out var requested) && cost.TryGetProperty("throttleStatus", out var throttle)
            && throttle.TryGetProperty("currentlyAvailable", out var available) && throttle.TryGetProperty("restoreRate", out var rate) && rate.GetDouble() > 0)
        {
            var deficit = Math.Max(0, requested.GetDouble() - available.GetDouble());
            return TimeSpan.FromSeconds(Math.Min(60, deficit / rate.GetDouble()));
        }

        return null;
    }
}
