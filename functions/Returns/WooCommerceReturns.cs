using System.Globalization;
using System.Net;
using System.Text.Json;
using Automation.Effects;
using Automation.Platforms;
using Automation.Stores;
using Automation.Webhooks;
using Automation.WooCommerce;

namespace Automation.Returns;

/// <summary>
/// WooCommerce has no returns object: the decision is kept as a private order note (a customer note, which
/// WooCommerce emails, only when the store asks), and automatic refunds never go through the payment gateway
/// (<c>api_refund=false</c>) unless the store turned that on.
/// </summary>
public sealed class WooCommerceReturns(WooCommerceClient woo, EffectLedger ledger) : IReturnsPlatform
{
    public Platform Platform => Platform.WooCommerce;

    public async Task<ReturnOrder?> FindOrderAsync(Store store, string orderNumber, CancellationToken cancellationToken)
    {
        var wanted = OrderNumbers.Normalize(orderNumber);
        if (wanted.Length == 0) return null;

        // The order number is usually the id; sequential-number plugins change it, so fall back to a search.
        if (long.TryParse(wanted, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            var byId = await GetRawAsync(store, id, cancellationToken);
            if (byId is { } order && OrderNumbers.Normalize(order.Str("number") ?? "") == wanted) return await MapAsync(store, order, cancellationToken);
        }

        var found = await woo.SendAsync(store, HttpMethod.Get, $"orders?search={Uri.EscapeDataString(wanted)}&per_page=20", null, cancellationToken);
        var match = found.ValueKind == JsonValueKind.Array
            ? found.EnumerateArray().Where(o => OrderNumbers.Normalize(o.Str("number") ?? "") == wanted).Cast<JsonElement?>().FirstOrDefault()
            : null;
        return match is { } m ? await MapAsync(store, m, cancellationToken) : null;
    }

    public async Task<ReturnOrder?> GetOrderAsync(Store store, long orderId, CancellationToken cancellationToken) =>
        await GetRawAsync(store, orderId, cancellationToken) is { } order ? await MapAsync(store, order, cancellationToken) : null;

    /// <summary>
    /// The decision as an order note (private unless the store asks otherwise): the note's id. Whenever the outcome of
    /// a call is unknown (a crash mid-call, or its answer lost) it first looks for the note that call made (every
    /// note starts with the RMA).
    /// </summary>
    public Task<string?> AddOrderNoteAsync(Store store, ReturnPolicy policy, ReturnCase returnCase, IssuedLabel? label, CancellationToken cancellationToken)
    {
        var decision = returnCase.Decision;
        var note = $"Return {returnCase.Rma}: {decision.Outcome} by rule '{decision.Rule}'. {decision.Reason}"
            + (decision.Fee > 0 ? $" Return fee {ReturnRules.Money(decision.Fee, returnCase.Order.Currency)}." : "")
            + (label is null ? "" : $" Label {label.Carrier}, tracking {label.TrackingNumber}.")
            + $" Items: {string.Join(", ", returnCase.Lines.Select(x => $"{x.Item.Quantity} × {x.Line.Title}"))}.";
        return ledger.RunOnceAsync(store.Id, $"woocommerce:order-note:{returnCase.Rma}", (prior, ct) => PlatformWrite.RunAsync(prior,
            async c => Lookup.Of(await FindAsync(store, $"orders/{returnCase.Order.OrderId}/notes", "note", $"Return {returnCase.Rma}:", c)),
            async c =>
            {
                var created = await woo.SendAsync(store, HttpMethod.Post, $"orders/{returnCase.Order.OrderId}/notes",
                    new { note, customer_note = policy.WooCommerceCustomerNote }, c);
                return created.Long("id")?.ToString(CultureInfo.InvariantCulture);
            }, ct), cancellationToken);
    }

    /// <summary>
    /// A free-shipping coupon whose code is derived from the RMA: when the answer was lost it is looked up
    /// (<c>GET coupons?code=</c>) before it is sent again, and "already exists" counts as made.
    /// </summary>
    public Task CreateFreeShippingCodeAsync(Store store, FreeShippingCode code, ReturnCase returnCase, CancellationToken cancellationToken) =>
        PlatformWrite.RunAsync(
            async ct => Lookup.Of(await woo.FindCouponAsync(store, code.Code, ct)),
            async ct =>
            {
                try
                {
                    var created = await woo.SendAsync(store, HttpMethod.Post, "coupons", new
                    {
                        code = code.Code,
                        discount_type = "fixed_cart",
                        amount = "0",
                        free_shipping = true,
                        individual_use = false,
                        usage_limit = 1,
                        usage_limit_per_user = 1,
                        email_restrictions = new[] { returnCase.CustomerEmail },
                        date_expires_gmt = code.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture),
                        description = $"Free shipping for exchange {returnCase.Rma}",
                    }, ct);
                    return created.Long("id")?.ToString(CultureInfo.InvariantCulture) ?? code.Code;
                }
                catch (PlatformException ex) when (ex.ErrorCode == "woocommerce_rest_coupon_code_already_exists")
                {
                    // An earlier attempt made this very code (it is derived from the RMA).
                    return code.Code;
                }
            },
            cancellationToken);

    /// <summary>
    /// Refunds the returned items (less the fee) without the gateway unless the store turned <c>api_refund</c> on.
    /// Whenever the outcome of a call is unknown (a crash mid-call, or its answer lost to a timeout or a 5xx) it first
    /// looks for the refund that call made (its reason names the RMA), so a customer is never refunded twice.
    /// </summary>
    public async Task<bool> RefundAsync(Store store, ReturnPolicy policy, ReturnCase returnCase, CancellationToken cancellationToken)
    {
        var amount = Math.Max(0, returnCase.Decision.ItemsValue - returnCase.Decision.Fee);
        var reason = $"Return {returnCase.Rma} ({returnCase.Decision.Rule})";
        await ledger.RunOnceAsync(store.Id, $"woocommerce:refund:{returnCase.Rma}", (prior, ct) => PlatformWrite.RunAsync(prior,
            async c => Lookup.Of(await FindAsync(store, $"orders/{returnCase.Order.OrderId}/refunds", "reason", $"Return {returnCase.Rma} ", c)),
            async c =>
            {
                var refund = await woo.SendAsync(store, HttpMethod.Post, $"orders/{returnCase.Order.OrderId}/refunds", new
                {
                    amount = amount.ToString("0.00", CultureInfo.InvariantCulture),
                    reason,
                    api_refund = policy.WooCommerceApiRefund,
                    api_restock = false,
                    line_items = returnCase.Lines.Select(x => new
                    {
                        id = x.Item.LineItemId,
                        quantity = x.Item.Quantity,
                        refund_total = (x.Line.UnitPrice * x.Item.Quantity).ToString("0.00", CultureInfo.InvariantCulture),
                    }).ToList(),
                }, c);
                return refund.Long("id")?.ToString(CultureInfo.InvariantCulture);
            }, ct), cancellationToken);
        return true;
    }

    /// <summary>The id of the first item in a list (order notes, refunds) whose <paramref name="field"/> starts with <paramref name="prefix"/>.</summary>
    private async Task<string?> FindAsync(Store store, string path, string field, string prefix, CancellationToken cancellationToken)
    {
        var found = await woo.SendAsync(store, HttpMethod.Get, path, null, cancellationToken);
        return found.ValueKind != JsonValueKind.Array
            ? null
            : found.EnumerateArray().Where(x => (x.Str(field) ?? "").StartsWith(prefix, StringComparison.Ordinal)).Select(x => x.Long("id")?.ToString(CultureInfo.InvariantCulture)).FirstOrDefault();
    }

    private async Task<JsonElement?> GetRawAsync(Store store, long id, CancellationToken cancellationToken)
    {
        try
        {
            return await woo.SendAsync(store, HttpMethod.Get, $"orders/{id}", null, cancellationToken);
        }
        catch (PlatformException ex) when (ex.StatusCode is HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Product tags and categories come from the products; WooCommerce categories stand in for collections and type.</summary>
    private async Task<ReturnOrder> MapAsync(Store store, JsonElement order, CancellationToken cancellationToken)
    {
        var items = order.Array("line_items").ToList();
        var productIds = items.Select(i => i.Long("product_id")).OfType<long>().Where(id => id > 0).Distinct().ToList();
        var products = new Dictionary<long, JsonElement>();
        if (productIds.Count > 0)
        {
            var found = await woo.SendAsync(store, HttpMethod.Get, $"products?include={string.Join(',', productIds)}&per_page=100", null, cancellationToken);
            if (found.ValueKind == JsonValueKind.Array)
            {
                foreach (var product in found.EnumerateArray())
                {
                    if (product.Long("id") is { } pid) products[pid] = product;
                }
            }
        }

        var lines = items.Select(i =>
        {
            var product = i.Long("product_id") is { } pid && products.TryGetValue(pid, out var p) ? p : (JsonElement?)null;
            var quantity = i.Int("quantity") ?? 0;
            var subtotal = i.Decimal("subtotal") ?? 0;
            var total = i.Decimal("total") ?? subtotal;
            var categories = product?.Array("categories").ToList() ?? [];
            return new OrderLine(
                i.RequiredLong("id"),
                i.Str("name") ?? "Item",
                i.Str("sku"),
                quantity,
                quantity > 0 ? Math.Round(total / quantity, 2) : i.Decimal("price") ?? 0,
                categories.Select(c => c.Str("name")).OfType<string>().FirstOrDefault(),
                [.. product?.Array("tags").SelectMany(t => new[] { t.Str("slug"), t.Str("name") }).OfType<string>() ?? []],
                [.. categories.Select(c => c.Str("slug")).OfType<string>()],
                Discounted: total < subtotal || (product?.Bool("on_sale") ?? false));
        }).ToList();

        var shipping = order.Prop("shipping");
        var billing = order.Prop("billing");
        var address = shipping is { } s && !string.IsNullOrEmpty(s.Str("address_1")) ? s : billing;
        var completed = order.Date("date_completed_gmt", assumeUtc: true);
        return new ReturnOrder(
            OrderId: order.RequiredLong("id"),
            Name: order.Str("number") ?? order.RequiredLong("id").ToString(CultureInfo.InvariantCulture),
            Email: billing?.Str("email"),
            Currency: order.Str("currency") ?? store.Currency,
            CreatedAt: order.Date("date_created_gmt", assumeUtc: true) ?? DateTimeOffset.MinValue,
            // WooCommerce marks an order completed when it ships; it knows nothing of delivery.
            FulfilledAt: completed,
            DeliveredAt: null,
            ShippingAddress: address is { } a
                ? new PostalAddress($"{a.Str("first_name")} {a.Str("last_name")}".Trim(), a.Str("address_1") ?? "", a.Str("address_2"), a.Str("city") ?? "", a.Str("state"), a.Str("postcode") ?? "", a.Str("country") ?? "", a.Str("company"))
                : null,
            Lines: lines);
    }
}
