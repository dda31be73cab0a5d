using System.Globalization;
using System.Text.Json;
using Automation.Events;
using Automation.Storage;
using Automation.Webhooks;

namespace Automation.WooCommerce;

/// <summary>
/// WooCommerce webhook topics → our events. The body is what <c>GET /wc/v3/{resource}s/{id}</c> returns at
/// delivery time (not at event time), so state is read from it, not inferred from the topic.
/// </summary>
public sealed class WooCommerceWebhookTranslator : IWebhookTranslator
{
    private static readonly HashSet<string> PaidStatuses = ["processing", "completed"];

    public Translation Translate(WebhookDelivery delivery, ReadOnlyMemory<byte> body)
    {
        var topic = delivery.Topic;
        var bodyHash = StorageKeys.Hash(body.Span);
        // X-WC-Webhook-Delivery-ID is not unique (same webhook, same second): key on source, topic, resource and body.
        string Key(string? resourceId) => $"woo:{topic}:{resourceId ?? "?"}:{bodyHash}";

        if (string.IsNullOrEmpty(topic)) return Translation.Unparseable(Key(null), "The X-WC-Webhook-Topic header is missing.");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            return Translation.Unparseable(Key(null), $"The body is not JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Translation.Unparseable(Key(null), "The body is not a JSON object.");
            var resourceId = root.Long("id")?.ToString(CultureInfo.InvariantCulture);
            var dedupeKey = Key(resourceId);
            var context = new Context(delivery, dedupeKey);
            try
            {
                return topic switch
                {
                    "order.created" or "order.updated" => Order(context, root),
                    "order.deleted" => Events(context, null, Closed(context, root.RequiredLong("id"), "deleted")),
                    "product.created" or "product.updated" => Product(context, root),
                    _ => Translation.Ignored(dedupeKey, $"Topic '{topic}' is not used by any automation."),
                };
            }
            catch (FormatException ex)
            {
                return Translation.Unparseable(dedupeKey, $"The {topic} payload is not in the documented shape: {ex.Message}");
            }
        }
    }

    private sealed record Context(WebhookDelivery Delivery, string DedupeKey)
    {
        public string StoreId => Delivery.StoreId;
        public string EventId(string suffix) => $"{StorageKeys.Hash(DedupeKey)}:{suffix}";
    }

    private static Translation Events(Context context, ResourceVersion? version, params StoreEvent[] events) =>
        new(context.DedupeKey, TranslationOutcome.Events, null, version, events);

    private static Translation Order(Context context, JsonElement root)
    {
        var orderId = root.RequiredLong("id");
        var status = root.Str("status") ?? throw new FormatException("'status' is missing.");
        var modified = root.Date("date_modified_gmt", assumeUtc: true) ?? context.Delivery.ReceivedAt;
        var version = new ResourceVersion($"order:{orderId}", modified);
        var billing = root.Prop("billing");
        var email = NullIfEmpty(billing?.Str("email"));
        var currency = root.Str("currency") ?? "USD";
        var total = root.Decimal("total") ?? 0;
        var customerId = root.Long("customer_id") is > 0 and var id ? (long?)id : null;
        var items = LineItems(root);
        var events = new List<StoreEvent>();

        var paid = root.Prop("date_paid_gmt") is not null || PaidStatuses.Contains(status);
        if (paid)
        {
            // order.created fires before payment; the placement is the first delivery that shows the order paid.
            events.Add(new OrderPlaced
            {
                Id = $"order-placed:{orderId}",
                StoreId = context.StoreId,
                OccurredAt = root.Date("date_paid_gmt", assumeUtc: true) ?? modified,
                DeliveryKey = context.DedupeKey,
                OrderId = orderId,
                OrderNumber = root.Str("number"),
                CheckoutId = $"order-{orderId}",
                CustomerId = customerId,
                Email = email,
                Currency = currency,
                TotalPrice = total,
                LineItems = items,
                DiscountCodes = [.. root.Array("coupon_lines").Select(c => c.Str("code")).OfType<string>()],
            });
        }
        else if (status == "pending" && email is not null)
        {
            // An unpaid pending order with an email is WooCommerce's abandoned-checkout signal ("checkout-draft" is not).
            CheckoutEvent checkout = context.Delivery.Topic == "order.created" ? new CheckoutStarted
            {
                Id = context.EventId("checkout"), StoreId = context.StoreId, OccurredAt = modified, DeliveryKey = context.DedupeKey,
                CheckoutId = $"order-{orderId}", Currency = currency,
            } : new CheckoutUpdated
            {
                Id = context.EventId("checkout"), StoreId = context.StoreId, OccurredAt = modified, DeliveryKey = context.DedupeKey,
                CheckoutId = $"order-{orderId}", Currency = currency,
            };
            events.Add(checkout with
            {
                CustomerId = customerId,
                Email = email,
                FirstName = NullIfEmpty(billing?.Str("first_name")),
                AcceptsMarketing = MarketingConsent(root),
                RecoveryUrl = root.Str("payment_url"),
                TotalPrice = total,
                LineItems = items,
            });
        }
        else if (status is "cancelled" or "failed" or "trash")
        {
            events.Add(Closed(context, orderId, status));
        }

        foreach (var refund in root.Array("refunds"))
        {
            var refundId = refund.RequiredLong("id");
            events.Add(new RefundCreated
            {
                Id = $"refund:{refundId}",
                StoreId = context.StoreId,
                OccurredAt = modified,
                DeliveryKey = context.DedupeKey,
                RefundId = refundId,
                OrderId = orderId,
                Amount = refund.Decimal("total") is { } amount ? Math.Abs(amount) : null,
                Reason = NullIfEmpty(refund.Str("reason")),
            });
        }

        return events.Count == 0
            ? new Translation(context.DedupeKey, TranslationOutcome.Ignored, $"Order status '{status}' needs no automation.", version, [])
            : Events(context, version, [.. events]);
    }

    private static CheckoutClosed Closed(Context context, long orderId, string reason) => new()
    {
        Id = $"checkout-closed:order-{orderId}",
        StoreId = context.StoreId,
        OccurredAt = context.Delivery.ReceivedAt,
        DeliveryKey = context.DedupeKey,
        CheckoutId = $"order-{orderId}",
        Reason = reason,
    };

    private static Translation Product(Context context, JsonElement root)
    {
        var productId = root.RequiredLong("id");
        var modified = root.Date("date_modified_gmt", assumeUtc: true) ?? context.Delivery.ReceivedAt;
        var manageStock = root.Bool("manage_stock");
        var backorders = root.Str("backorders");
        var sellsWhenOut = backorders is "yes" or "notify";
        var sku = NullIfEmpty(root.Str("sku"));
        var quantity = root.Int("stock_quantity");
        var lowStock = root.Int("low_stock_amount");
        var parentId = root.Long("parent_id") is > 0 and var parent ? (long?)parent : null;
        var events = new List<StoreEvent>
        {
            new ProductUpdated
            {
                Id = context.EventId("product"),
                StoreId = context.StoreId,
                OccurredAt = modified,
                DeliveryKey = context.DedupeKey,
                ProductId = productId,
                ParentProductId = parentId,
                Title = root.Str("name") ?? "",
                Url = root.Str("permalink"),
                Status = root.Str("status"),
                ProductType = root.Str("type"),
                Tags = [.. root.Array("tags").Select(t => t.Str("name")).OfType<string>()],
                // A WooCommerce product (or variation) is its own single variant.
                Variants = [new VariantSnapshot(productId, sku, root.Str("name"), null, manageStock ? quantity : null, manageStock, sellsWhenOut, root.Str("stock_status"), lowStock, root.Decimal("price"))],
            },
        };

        if (manageStock)
        {
            events.Add(new InventoryLevelChanged
            {
                Id = context.EventId("inventory"),
                StoreId = context.StoreId,
                OccurredAt = modified,
                DeliveryKey = context.DedupeKey,
                VariantId = productId,
                ProductId = parentId ?? productId,
                Sku = sku,
                LocationId = "default",
                Available = quantity,
                SellsWhenOutOfStock = sellsWhenOut,
                LowStockAmount = lowStock,
            });
        }

        return Events(context, new ResourceVersion($"product:{productId}", modified), [.. events]);
    }

    /// <summary>WooCommerce core has no marketing-consent field; consent plugins commonly store it in order meta.</summary>
    private static bool MarketingConsent(JsonElement root) =>
        root.Array("meta_data").Any(m => m.Str("key") is "_marketing_consent" or "marketing_consent" or "_wc_marketing_opt_in"
            && m.Str("value") is "yes" or "1" or "true");

    private static List<LineItem> LineItems(JsonElement root) =>
        [.. root.Array("line_items").Select(l => new LineItem(
            l.Long("product_id"),
            l.Long("variation_id") is > 0 and var v ? (long?)v : l.Long("product_id"),
            NullIfEmpty(l.Str("sku")),
            l.Str("name") ?? "",
            l.Int("quantity") ?? 1,
            l.Decimal("price") ?? 0))];

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
