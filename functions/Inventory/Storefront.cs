using System.Globalization;
using System.Text.Json;
using Automation.Platforms;
using Automation.Shopify;
using Automation.Stores;
using Automation.WooCommerce;

namespace Automation.Inventory;

/// <summary>
/// One change made to the storefront, with the value it replaced, so a restock can put back exactly what was done
/// (and only that).
/// </summary>
// WARNING: stored (JSON) in the OutOfStock episodes table. Add properties only.
public sealed record StorefrontChange(string Field, long ProductId, long? VariantId, string? Previous, string Applied);

/// <summary>The storefront operations the stock automations need, spoken in each platform's API.</summary>
public interface IStorefront
{
    Task AddTagAsync(Store store, long productId, string tag, CancellationToken cancellationToken);

    Task RemoveTagAsync(Store store, long productId, string tag, CancellationToken cancellationToken);

    /// <summary>
    /// What stopping the variant's sales would change (null when it already stops): a variant that sells when sold
    /// out gets Shopify <c>inventoryPolicy: DENY</c>, or WooCommerce <c>backorders: no</c> with <c>stock_status: outofstock</c>.
    /// Planned before it is applied, so the value to restore is recorded even if the process dies in between.
    /// </summary>
    Task<StorefrontChange?> PlanStopSellingAsync(Store store, VariantStock variant, CancellationToken cancellationToken);

    /// <summary>What taking the product off the storefront would change (Shopify: status DRAFT; WooCommerce: catalog_visibility hidden); null when it already is.</summary>
    Task<StorefrontChange?> PlanHideProductAsync(Store store, long productId, CancellationToken cancellationToken);

    Task ApplyAsync(Store store, StorefrontChange change, CancellationToken cancellationToken);

    /// <summary>Puts the previous value back, unless someone has changed the field since we set it (then false).</summary>
    Task<bool> UndoAsync(Store store, StorefrontChange change, CancellationToken cancellationToken);
}

/// <remarks>
/// Every write here is looked for before it is made again when its outcome is unknown (a timeout, a 5xx): the
/// product's tags, its status, the variant's policy or the field are read back, and the write is repeated only if the
/// platform does not show it (<see cref="PlatformWrite"/>).
/// </remarks>
public sealed class PlatformStorefront(ShopifyAdminClient shopify, WooCommerceClient woo) : IStorefront
{
    public Task AddTagAsync(Store store, long productId, string tag, CancellationToken cancellationToken) =>
        store.Platform == Platform.Shopify
            ? PlatformWrite.RunAsync(
                async ct => (await ShopifyTagsAsync(store, productId, ct)).Contains(tag, StringComparer.OrdinalIgnoreCase),
                ct => ShopifyMutateAsync(store, "tagsAdd", "mutation tagsAdd($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } } }", new { id = ProductGid(productId), tags = new[] { tag } }, ct),
                cancellationToken)
            : WooSetTagAsync(store, productId, tag, add: true, cancellationToken);

    public Task RemoveTagAsync(Store store, long productId, string tag, CancellationToken cancellationToken) =>
        store.Platform == Platform.Shopify
            ? PlatformWrite.RunAsync(
                async ct => !(await ShopifyTagsAsync(store, productId, ct)).Contains(tag, StringComparer.OrdinalIgnoreCase),
                ct => ShopifyMutateAsync(store, "tagsRemove", "mutation tagsRemove($id: ID!, $tags: [String!]!) { tagsRemove(id: $id, tags: $tags) { node { id } userErrors { field message } } }", new { id = ProductGid(productId), tags = new[] { tag } }, ct),
                cancellationToken)
            : WooSetTagAsync(store, productId, tag, add: false, cancellationToken);

    public async Task<StorefrontChange?> PlanStopSellingAsync(Store store, VariantStock variant, CancellationToken cancellationToken)
    {
        var productId = variant.ProductId ?? variant.VariantId;
        if (store.Platform == Platform.Shopify)
        {
            return variant.SellsWhenOutOfStock ? new StorefrontChange("inventoryPolicy", productId, variant.VariantId, "CONTINUE", "DENY") : null;
        }

        var current = await woo.SendAsync(store, HttpMethod.Get, WooPath(variant.ProductId, variant.VariantId), null, cancellationToken);
        var backorders = Str(current, "backorders") ?? "no";
        return backorders == "no" ? null : new StorefrontChange("backorders", productId, variant.VariantId, backorders, "no");
    }

    public async Task<StorefrontChange?> PlanHideProductAsync(Store store, long productId, CancellationToken cancellationToken)
    {
        if (store.Platform == Platform.Shopify)
        {
            var status = await ShopifyStatusAsync(store, productId, cancellationToken);
            return status is null or "DRAFT" or "ARCHIVED" ? null : new StorefrontChange("status", productId, null, status, "DRAFT");
        }

        var current = await woo.SendAsync(store, HttpMethod.Get, $"products/{productId.ToString(CultureInfo.InvariantCulture)}", null, cancellationToken);
        var visibility = Str(current, "catalog_visibility") ?? "visible";
        return visibility == "hidden" ? null : new StorefrontChange("catalog_visibility", productId, null, visibility, "hidden");
    }

    public Task ApplyAsync(Store store, StorefrontChange change, CancellationToken cancellationToken) => SetAsync(store, change, change.Applied, cancellationToken);

    public async Task<bool> UndoAsync(Store store, StorefrontChange change, CancellationToken cancellationToken)
    {
        var current = change.Field switch
        {
            // Shopify has no cheap read of one variant's policy here; DENY is what we set, so put the merchant's CONTINUE back.
            "inventoryPolicy" => change.Applied,
            "status" => await ShopifyStatusAsync(store, change.ProductId, cancellationToken),
            "backorders" => Str(await woo.SendAsync(store, HttpMethod.Get, WooPath(change.ProductId, change.VariantId ?? change.ProductId), null, cancellationToken), "backorders"),
            "catalog_visibility" => Str(await woo.SendAsync(store, HttpMethod.Get, $"products/{change.ProductId.ToString(CultureInfo.InvariantCulture)}", null, cancellationToken), "catalog_visibility"),
            _ => throw new InvalidOperationException($"Unknown storefront change '{change.Field}'."),
        };
        if (current != change.Applied || change.Previous is null) return false;
        await SetAsync(store, change, change.Previous, cancellationToken);
        return true;
    }

    /// <summary>Sets the field; when the answer is lost, reads it back and sets it again only if it does not hold the value.</summary>
    private Task SetAsync(Store store, StorefrontChange change, string value, CancellationToken cancellationToken) =>
        PlatformWrite.RunAsync(async ct => await ReadBackAsync(store, change, ct) == value, ct => WriteAsync(store, change, value, ct), cancellationToken);

    private async Task<string?> ReadBackAsync(Store store, StorefrontChange change, CancellationToken cancellationToken) => change.Field switch
    {
        "inventoryPolicy" => await ShopifyInventoryPolicyAsync(store, change.VariantId!.Value, cancellationToken),
        "status" => await ShopifyStatusAsync(store, change.ProductId, cancellationToken),
        "backorders" => Str(await woo.SendAsync(store, HttpMethod.Get, WooPath(change.ProductId, change.VariantId ?? change.ProductId), null, cancellationToken), "backorders"),
        "catalog_visibility" => Str(await woo.SendAsync(store, HttpMethod.Get, $"products/{change.ProductId.ToString(CultureInfo.InvariantCulture)}", null, cancellationToken), "catalog_visibility"),
        _ => throw new InvalidOperationException($"Unknown storefront change '{change.Field}'."),
    };

    private Task WriteAsync(Store store, StorefrontChange change, string value, CancellationToken cancellationToken) => change.Field switch
    {
        "inventoryPolicy" => SetInventoryPolicyAsync(store, change.ProductId, change.VariantId!.Value, value, cancellationToken),
        "status" => SetProductStatusAsync(store, change.ProductId, value, cancellationToken),
        "backorders" => woo.SendAsync(store, HttpMethod.Put, WooPath(change.ProductId, change.VariantId ?? change.ProductId),
            value == "no" ? new { backorders = value, stock_status = "outofstock" } : (object)new { backorders = value }, cancellationToken),
        "catalog_visibility" => woo.SendAsync(store, HttpMethod.Put, $"products/{change.ProductId.ToString(CultureInfo.InvariantCulture)}", new { catalog_visibility = value }, cancellationToken),
        _ => throw new InvalidOperationException($"Unknown storefront change '{change.Field}'."),
    };

    private async Task<string?> ShopifyStatusAsync(Store store, long productId, CancellationToken cancellationToken)
    {
        var data = await shopify.GraphQLAsync(store, "query productStatus($id: ID!) { product(id: $id) { id status } }", new { id = ProductGid(productId) }, cancellationToken);
        return data.TryGetProperty("product", out var product) && product.ValueKind == JsonValueKind.Object ? Str(product, "status") : null;
    }

    private async Task<string?> ShopifyInventoryPolicyAsync(Store store, long variantId, CancellationToken cancellationToken)
    {
        var data = await shopify.GraphQLAsync(store, "query variantPolicy($id: ID!) { productVariant(id: $id) { id inventoryPolicy } }",
            new { id = $"gid://shopify/ProductVariant/{variantId.ToString(CultureInfo.InvariantCulture)}" }, cancellationToken);
        return data.TryGetProperty("productVariant", out var variant) && variant.ValueKind == JsonValueKind.Object ? Str(variant, "inventoryPolicy") : null;
    }

    private async Task<IReadOnlyList<string>> ShopifyTagsAsync(Store store, long productId, CancellationToken cancellationToken)
    {
        var data = await shopify.GraphQLAsync(store, "query productTags($id: ID!) { product(id: $id) { id tags } }", new { id = ProductGid(productId) }, cancellationToken);
        return data.TryGetProperty("product", out var product) && product.ValueKind == JsonValueKind.Object && product.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
            ? [.. tags.EnumerateArray().Select(t => t.GetString()).OfType<string>()]
            : [];
    }

    private Task SetInventoryPolicyAsync(Store store, long productId, long variantId, string policy, CancellationToken cancellationToken) =>
        ShopifyMutateAsync(store, "productVariantsBulkUpdate",
            "mutation productVariantsBulkUpdate($productId: ID!, $variants: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $productId, variants: $variants) { productVariants { id inventoryPolicy } userErrors { field message } } }",
            new { productId = ProductGid(productId), variants = new[] { new { id = $"gid://shopify/ProductVariant/{variantId.ToString(CultureInfo.InvariantCulture)}", inventoryPolicy = policy } } },
            cancellationToken);

    private Task SetProductStatusAsync(Store store, long productId, string status, CancellationToken cancellationToken) =>
        ShopifyMutateAsync(store, "productUpdate",
            "mutation productUpdate($product: ProductUpdateInput!) { productUpdate(product: $product) { product { id status } userErrors { field message } } }",
            new { product = new { id = ProductGid(productId), status } },
            cancellationToken);

    private async Task ShopifyMutateAsync(Store store, string mutation, string query, object variables, CancellationToken cancellationToken)
    {
        var data = await shopify.GraphQLAsync(store, query, variables, cancellationToken);
        if (data.TryGetProperty(mutation, out var payload) && payload.ValueKind == JsonValueKind.Object
            && payload.TryGetProperty("userErrors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
        {
            var message = string.Join("; ", errors.EnumerateArray().Select(e => Str(e, "message")));
            throw new PlatformException($"Shopify {mutation} for store {store.Id} failed: {message}", null, "userErrors", isTransient: false);
        }
    }

    private async Task WooSetTagAsync(Store store, long productId, string tag, bool add, CancellationToken cancellationToken)
    {
        var path = $"products/{productId.ToString(CultureInfo.InvariantCulture)}";
        var product = await woo.SendAsync(store, HttpMethod.Get, path, null, cancellationToken);
        var tags = product.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Array
            ? t.EnumerateArray().Select(x => (Id: x.GetProperty("id").GetInt64(), Name: Str(x, "name"))).ToList()
            : [];
        var has = tags.Any(x => string.Equals(x.Name, tag, StringComparison.OrdinalIgnoreCase));
        if (add == has) return;

        object body = add
            ? new { tags = tags.Select(x => new { id = x.Id }).Append(new { id = await WooTagIdAsync(store, tag, cancellationToken) }).ToArray() }
            : new { tags = tags.Where(x => !string.Equals(x.Name, tag, StringComparison.OrdinalIgnoreCase)).Select(x => new { id = x.Id }).ToArray() };
        await PlatformWrite.RunAsync(
            async ct => WooHasTag(await woo.SendAsync(store, HttpMethod.Get, path, null, ct), tag) == add,
            ct => woo.SendAsync(store, HttpMethod.Put, path, body, ct),
            cancellationToken);
    }

    private static bool WooHasTag(JsonElement product, string tag) =>
        product.ValueKind == JsonValueKind.Object && product.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Array
        && t.EnumerateArray().Any(x => string.Equals(Str(x, "name"), tag, StringComparison.OrdinalIgnoreCase));

    private async Task<long> WooTagIdAsync(Store store, string tag, CancellationToken cancellationToken)
    {
        if (await FindWooTagAsync(store, tag, cancellationToken) is { } existing) return existing;
        var id = await PlatformWrite.RunAsync(
            async ct => await FindWooTagAsync(store, tag, ct) is { } made ? Lookup.Found<long?>(made) : Lookup.NotFound<long?>(),
            async ct => (long?)(await woo.SendAsync(store, HttpMethod.Post, "products/tags", new { name = tag }, ct)).GetProperty("id").GetInt64(),
            cancellationToken);
        return id ?? throw new PlatformException($"WooCommerce made no tag '{tag}' for store {store.Id}.", null, null, isTransient: true);
    }

    private async Task<long?> FindWooTagAsync(Store store, string tag, CancellationToken cancellationToken)
    {
        var found = await woo.SendAsync(store, HttpMethod.Get, $"products/tags?search={Uri.EscapeDataString(tag)}&per_page=100", null, cancellationToken);
        return found.ValueKind != JsonValueKind.Array
            ? null
            : found.EnumerateArray().Where(x => string.Equals(Str(x, "name"), tag, StringComparison.OrdinalIgnoreCase)).Select(x => (long?)x.GetProperty("id").GetInt64()).FirstOrDefault();
    }

    private static string WooPath(long? productId, long variantId) =>
        productId is { } parent && parent != variantId
            ? $"products/{parent.ToString(CultureInfo.InvariantCulture)}/variations/{variantId.ToString(CultureInfo.InvariantCulture)}"
            : $"products/{variantId.ToString(CultureInfo.InvariantCulture)}";

    private static string ProductGid(long productId) => $"gid://shopify/Product/{productId.ToString(CultureInfo.InvariantCulture)}";

    private static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
