using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Automation.Runtime;
using Automation.Platforms;
using Automation.Stores;
using Microsoft.Extensions.Options;

namespace Automation.WooCommerce;

/// <summary>
/// WooCommerce REST API v3 (<c>{AdminApiBaseUrl}/{path}</c>, Basic auth with the consumer key and secret over HTTPS).
/// 429 and 5xx are retried with back-off (Retry-After when given); a 4xx becomes a <see cref="PlatformException"/>
/// carrying Woo's error <c>code</c>.
/// </summary>
public sealed class WooCommerceClient(HttpClient http, IOptions<PlatformRetryOptions> retry, TimeProvider time, ILogger<WooCommerceClient> logger)
{
    public async Task<JsonElement> SendAsync(Store store, HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        if (store.Platform != Platform.WooCommerce || store.AdminApiBaseUrl is null || store.ConsumerKey is null || store.ConsumerSecret is null)
            throw new PlatformException($"Store {store.Id} has no WooCommerce REST API configured (AdminApiBaseUrl, ConsumerKey, ConsumerSecret).", null, "not_configured", isTransient: false);

        var url = new Uri(store.AdminApiBaseUrl.ToString().TrimEnd('/') + "/" + path.TrimStart('/'));
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{store.ConsumerKey}:{store.ConsumerSecret}"));
        return await retry.Value.RunAsync("WooCommerce", store.Id, async ct =>
        {
            using var request = new HttpRequestMessage(method, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials);
            if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: Json.Options);
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
                return PlatformAttempt<JsonElement>.Success(text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
            if (PlatformRetryOptions.IsTransientStatus(response.StatusCode))
                return PlatformAttempt<JsonElement>.Retry(PlatformRetryOptions.RetryAfter(response), $"HTTP {(int)response.StatusCode}", response.StatusCode);

            var (code, message) = ErrorOf(text);
            throw new PlatformException($"WooCommerce answered HTTP {(int)response.StatusCode} ({code}) for store {store.Id}: {message}", response.StatusCode, code, isTransient: false);
        }, time, logger, cancellationToken);
    }

    private static (string? Code, string? Message) ErrorOf(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            return (root.TryGetProperty("code", out var c) ? c.GetString() : null, root.TryGetProperty("message", out var m) ? m.GetString() : null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
