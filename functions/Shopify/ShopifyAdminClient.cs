using System.Net.Http.Json;
using System.Text.Json;
using Automation.Platforms;
using Automation.Runtime;
using Automation.Stores;

namespace Automation.Shopify;

/// <summary>
/// Shopify's GraphQL Admin API: <c>POST {AdminApiBaseUrl}/graphql.json</c> with <c>X-Shopify-Access-Token</c>.
/// Waiting for the store's cost bucket, retries, timeouts and the store's circuit breaker are the pipeline's
/// (<see cref="PlatformRegistration"/>); a mutation is never re-sent when its outcome is unknown — it fails with
/// <see cref="PlatformException.OutcomeUnknown"/> and its caller looks first (<see cref="PlatformWrite"/>).
/// Callers check <c>userErrors</c> themselves.
/// </summary>
public sealed class ShopifyAdminClient(HttpClient http)
{
    public async Task<JsonElement> GraphQLAsync(Store store, string query, object? variables, CancellationToken cancellationToken)
    {
        if (store.Platform != Platform.Shopify || store.AdminApiBaseUrl is null || store.AccessToken is null)
            throw new PlatformException($"Store {store.Id} has no Shopify Admin API configured (AdminApiBaseUrl, AccessToken).", null, "not_configured", isTransient: false);

        var call = PlatformCall.GraphQL(PlatformRegistration.Shopify, store.Id, query);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(store.AdminApiBaseUrl.ToString().TrimEnd('/') + "/graphql.json"))
        {
            Content = JsonContent.Create(new { query, variables }, options: Json.Options),
        };
        request.Headers.Add("X-Shopify-Access-Token", store.AccessToken);
        using var response = await PlatformHttp.SendAsync(http, request, call, cancellationToken);
        if (!response.IsSuccessStatusCode) throw PlatformHttp.Failure(call, response, null, null);

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new PlatformException($"Shopify answered {call.Name} for store {store.Id} with something that is not JSON.", response.StatusCode, "invalid_json", isTransient: true, ex)
            {
                OutcomeUnknown = call.IsMutation,
            };
        }

        if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
        {
            var first = errors[0];
            var code = first.TryGetProperty("extensions", out var ext) && ext.ValueKind == JsonValueKind.Object && ext.TryGetProperty("code", out var c) ? c.GetString() : null;
            var message = first.TryGetProperty("message", out var m) ? m.GetString() : null;
            // Shopify's own failure mid-query is worth another try (and leaves a mutation's outcome unknown); any other error is the query's.
            var internalError = code is "INTERNAL_SERVER_ERROR";
            throw new PlatformException($"Shopify GraphQL error: {message}", response.StatusCode, code, isTransient: internalError) { OutcomeUnknown = internalError && call.IsMutation };
        }

        return root.TryGetProperty("data", out var data)
            ? data
            : throw new PlatformException($"Shopify answered {call.Name} for store {store.Id} without data.", response.StatusCode, null, isTransient: false);
    }

    /// <summary>
    /// The discount that carries <paramref name="code"/> (its node id), or null: how a lost
    /// <c>discountCodeBasicCreate</c>/<c>discountCodeFreeShippingCreate</c> is looked for before it is asked again.
    /// </summary>
    public async Task<string?> FindDiscountCodeAsync(Store store, string code, CancellationToken cancellationToken)
    {
        var data = await GraphQLAsync(store, "query DiscountByCode($code: String!) { codeDiscountNodeByCode(code: $code) { id } }", new { code }, cancellationToken);
        return data.TryGetProperty("codeDiscountNodeByCode", out var node) && node.ValueKind == JsonValueKind.Object && node.TryGetProperty("id", out var id) ? id.GetString() : null;
    }
}
