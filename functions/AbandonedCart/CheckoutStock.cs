using System.Globalization;
using System.Text.Json;
using Automation.Events;
using Automation.Platforms;
using Automation.Shopify;
using Automation.Stores;
using Automation.WooCommerce;

namespace Automation.AbandonedCart;

/// <summary>Whether a checkout's items can still be bought; null when the platform could not say.</summary>
public interface ICheckoutStock
{
    Task<StockAnswer> CheckAsync(Store store, IReadOnlyList<LineItem> items, CancellationToken cancellationToken);
}

public sealed record StockAnswer(bool? Available, string Note);

public sealed class CheckoutStock(ShopifyAdminClient shopify, WooCommerceClient woo) : ICheckoutStock
{
    internal const string VariantsAvailability = """
        query CheckoutStock($ids: [ID!]!) {
          nodes(ids: $ids) { ... on ProductVariant { id availableForSale } }
        }
        """;

    public async Task<StockAnswer> CheckAsync(Store store, IReadOnlyList<LineItem> items, CancellationToken cancellationToken)
    {
        if (store.AdminApiBaseUrl is null) return new StockAnswer(null, "stock not checked: the store has no Admin API configured");
        try
        {
            return store.Platform == Platform.Shopify ? await CheckShopifyAsync(store, items, cancellationToken) : await CheckWooCommerceAsync(store, items, cancellationToken);
        }
        catch (PlatformException ex) when (!ex.IsTransient)
        {
            // Not knowing is no reason to stay silent: the recovery link shows the buyer what is left.
            return new StockAnswer(null, $"stock not checked: {ex.Message}");
        }
    }

    private async Task<StockAnswer> CheckShopifyAsync(Store store, IReadOnlyList<LineItem> items, CancellationToken cancellationToken)
    {
        var ids = items.Where(i => i.VariantId is not null).Select(i => $"gid://shopify/ProductVariant/{i.VariantId!.Value.ToString(CultureInfo.InvariantCulture)}").Distinct().ToArray();
        if (ids.Length == 0) return new StockAnswer(null, "stock not checked: no variant ids");
        var data = await shopify.GraphQLAsync(store, VariantsAvailability, new { ids }, cancellationToken);
        var gone = new List<string>();
        var index = 0;
        foreach (var node in data.GetProperty("nodes").EnumerateArray())
        {
            if (node.ValueKind != JsonValueKind.Object || (node.TryGetProperty("availableForSale", out var a) && a.ValueKind == JsonValueKind.False))
                gone.Add(ids[index]);
            index++;
        }

        return gone.Count == 0 ? new StockAnswer(true, "items in stock") : new StockAnswer(false, $"{gone.Count} of {ids.Length} items no longer available");
    }

    private async Task<StockAnswer> CheckWooCommerceAsync(Store store, IReadOnlyList<LineItem> items, CancellationToken cancellationToken)
    {
        var gone = 0;
        var checkedCount = 0;
        foreach (var item in items.Where(i => i.ProductId is not null).DistinctBy(i => (i.ProductId, i.VariantId)))
        {
            // The translators give a simple product's line its product id as variant id; only a real variation has its own path.
            var path = item.VariantId is > 0 && item.VariantId != item.ProductId
                ? $"products/{item.ProductId!.Value.ToString(CultureInfo.InvariantCulture)}/variations/{item.VariantId.Value.ToString(CultureInfo.InvariantCulture)}"
                : $"products/{item.ProductId!.Value.ToString(CultureInfo.InvariantCulture)}";
            var product = await woo.SendAsync(store, HttpMethod.Get, path, null, cancellationToken);
            checkedCount++;
            if (product.TryGetProperty("stock_status", out var status) && status.GetString() == "outofstock") gone++;
        }

        if (checkedCount == 0) return new StockAnswer(null, "stock not checked: no product ids");
        return gone == 0 ? new StockAnswer(true, "items in stock") : new StockAnswer(false, $"{gone} of {checkedCount} items out of stock");
    }
}
