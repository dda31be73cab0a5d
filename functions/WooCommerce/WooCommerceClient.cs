using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Automation.Platforms;
using Automation.Runtime;
using Automation.Stores;

namespace Automation.WooCommerce;

/// <summary>
/// WooCommerce REST API v3 (<c>{AdminApiBaseUrl}/{path}</c>, Basic auth with the consumer key and secret over HTTPS).
/// Retries (429/503 with Retry-After, other 5xx with back-off), timeouts and the store's circuit breaker are the
/// pipeline's (<see cref="PlatformRegistration"/>); GET is retried, POST/PUT/DELETE are not re-sent when their outcome is
/// unknown (<see cref="PlatformException.OutcomeUnknown"/>; the caller looks first). A 4xx becomes a
/// <see cref="PlatformException"/> carrying Woo's error <c>code</c>.
/// </summary>
public sealed class WooCommerceClient(HttpClient http)
{
    public async Task<JsonElement> SendAsync(Store store, HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        if (store.Platform != Platform.WooCommerce || store.AdminApiBaseUrl is null || store.ConsumerKey is null || store.ConsumerSecret is null)
            throw new PlatformException($"Store {store.Id} has no WooCommerce REST API configured (AdminApiBaseUrl, ConsumerKey, ConsumerSecret).", null, "not_configured", isTransient: false);

        var call = PlatformCall.Rest(PlatformRegistration.WooCommerce, store.Id, method, path);
        using var request = new HttpRequestMessage(method, new Uri(store.AdminApiBaseUrl.ToString().TrimEnd('/') + "/" + path.TrimStart('/')));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{store.ConsumerKey}:{store.ConsumerSecret}")));
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: Json.Options);
        using var response = await PlatformHttp.SendAsync(http, request, call, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var (code, message) = ErrorOf(text);
            throw PlatformHttp.Failure(call, response, code, message);
        }

        try
        {
            return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new PlatformException($"WooCommerce answered {call.Name} for store {store.Id} with something that is not JSON.", response.StatusCode, "invalid_json", isTransient: true, ex)
            {
                OutcomeUnknown = call.IsMutation,
            };
        }
    }

    /// <summary>
    /// The coupon with <paramref name="code"/> (its id), or null: how a lost <c>POST coupons</c> is looked for before it
    /// is sent again. WooCommerce stores codes lower-cased, so they are compared without case.
    /// </summary>
    public async Task<string?> FindCouponAsync(Store store, string code, CancellationToken cancellationToken)
    {
        var found = await SendAsync(store, HttpMethod.Get, $"coupons?code={Uri.EscapeDataString(code)}", null, cancellationToken);
        return found.ValueKind != JsonValueKind.Array
            ? null
            : found.EnumerateArray()
                .Where(c => c.ValueKind == JsonValueKind.Object && c.TryGetProperty("code", out var x) && string.Equals(x.GetString(), code, StringComparison.OrdinalIgnoreCase) && c.TryGetProperty("id", out _))
                .Select(c => c.GetProperty("id").GetRawText())
                .FirstOrDefault();
    }

    private static (string? Code, string? Message) ErrorOf(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            return root.ValueKind != JsonValueKind.Object
                ? (null, null)
                : (root.TryGetProperty("code", out var c) ? c.GetString() : null, root.TryGetProperty("message", out var m) ? m.GetString() : null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
