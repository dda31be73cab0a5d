using System.Text.Json;
using Automation.Events;
using Automation.Storage;
using Automation.Webhooks;

namespace Automation.Shopify;

/// <summary>Shopify webhook topics → our events. Payloads are the REST resource for the topic.</summary>
public sealed class ShopifyWebhookTranslator : IWebhookTranslator
{
    public Translation Translate(WebhookDelivery delivery, ReadOnlyMemory<byte> body)
    {
        var topic = delivery.Topic;
        // Shopify's documented dedupe key is the Event-Id (shared by one merchant action, so it is combined with the
        // topic); the Webhook-Id is the fallback. Without either, the body itself.
        var eventId = delivery.Header("x-shopify-event-id") ?? delivery.Header("shopify-event-id");
        var webhookId = delivery.Header("x-shopify-webhook-id");
        var dedupeKey = $"shopify:{topic}:" + (eventId is not null ? "event:" + eventId : webhookId is not null ? "webhook:" + webhookId : "body:" + StorageKeys.Hash(body.Span));

        if (string.IsNullOrEmpty(topic)) return Translation.Unparseable(dedupeKey, "The X-Shopify-Topic header is missing.");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            return Translation.Unparseable(dedupeKey, $"The body is not JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Translation.Unparseable(dedupeKey, "The body is not a JSON object.");
            var triggeredAt = DateTimeOffset.TryParse(delivery.Header("x-shopify-triggered-at"), out var t) ? t : delivery.ReceivedAt;
            var context = new Context(delivery, dedupeKey, triggeredAt);
            try
            {
                return topic switch
                {
                    "checkouts/create" => Checkout(context, root, started: true),
                    "checkouts/update" => root.Prop("completed_at") is not null
                        ? CheckoutClosed(context, root, "completed")
                        : Checkout(context, root, started: false),
                    "checkouts/delete" => CheckoutClosed(context, root, "deleted"),
                    "orders/create" or "orders/paid" => Order(context, root),
                    "inventory_levels/update" => InventoryLevel(context, root),
                    "products/create" or "products/update" => Product(context, root),
                    "returns/request" => Return(context, root),
                    "refunds/create" => Refund(context, root),
                    "customers/data_request" => Compliance(context, root, data: true),
                    "customers/redact" => Compliance(context, root, data: false),
                    "shop/redact" => Events(context, null, new ShopRedactRequested { Id = $"shop-redact:{context.Delivery.StoreId}", StoreId = context.Delivery.StoreId, OccurredAt = context.TriggeredAt, DeliveryKey = dedupeKey }),
                    _ => Translation.Ignored(dedupeKey, $"Topic '{topic}' is not used by any automation."),
                };
            }
            catch (FormatException ex)
            {
                return Translation.Unparseable(dedupeKey, $"The {topic} payload is not in the documented shape: {ex.Message}");
            }
        }
    }

    private sealed record Context(WebhookDelivery Delivery, string DedupeKey, DateTimeOffset TriggeredAt)
    {
        public string StoreId => Delivery.StoreId;
        public string EventId(string suffix) => $"{StorageKeys.Hash(DedupeKey)}:{suffix}";
    }

    private static Translation Events(Context context, ResourceVersion? version, params StoreEvent[] events) =>
        new(context.DedupeKey, TranslationOutcome.Events, null, version, events);

    private static Translation Checkout(Context context, JsonElement root, bool started)
    {
        var token = root.Str("token") ?? throw new FormatException("'token' is missing.");
        var customer = root.Prop("customer");
        var updatedAt = root.Date("updated_at") ?? context.TriggeredAt;
        var currency = root.Str("presentment_currency") ?? root.Str("currency") ?? "USD";
        var id = context.EventId("checkout");
        CheckoutEvent checkout = started
            ? new CheckoutStarted { Id = id, StoreId = context.StoreId, OccurredAt = updatedAt, CheckoutId = token, Currency = currency }
            : new CheckoutUpdated { Id = id, StoreId = context.StoreId, OccurredAt = updatedAt, CheckoutId = token, Currency = currency };
        checkout = checkout with
        {
            DeliveryKey = context.DedupeKey,
            CustomerId = customer?.Long("id"),
            Email = root.Str("email") ?? customer?.Str("email"),
            FirstName = customer?.Str("first_name") ?? root.Prop("billing_address")?.Str("first_name"),
            AcceptsMarketing = root.Bool("buyer_accepts_marketing"),
            RecoveryUrl = root.Str("abandoned_checkout_url"),
            TotalPrice = root.Decimal("total_price") ?? 0,
            LineItems = LineItems(root),
        };
        return Events(context, new ResourceVersion($"checkout:{token}", updatedAt), checkout);
    }

    private static Translation CheckoutClosed(Context context, JsonElement root, string reason)
    {
        var token = root.Str("token") ?? root.Str("id") ?? throw new FormatException("'token' is missing.");
        var updatedAt = root.Date("updated_at") ?? context.TriggeredAt;
        return Events(context, new ResourceVersion($"checkout:{token}", updatedAt), new CheckoutClosed
        {
            Id = $"checkout-closed:{token}",
            StoreId = context.StoreId,
            OccurredAt = updatedAt,
            DeliveryKey = context.DedupeKey,
            CheckoutId = token,
            Reason = reason,
        });
    }

    private static Translation Order(Context context, JsonElement root)
    {
        var orderId = root.RequiredLong("id");
        var customer = root.Prop("customer");
        return Events(context, null, new OrderPlaced
        {
            // orders/create and orders/paid for one order are one placement.
            Id = $"order-placed:{orderId}",
            StoreId = context.StoreId,
            OccurredAt = root.Date("created_at") ?? context.TriggeredAt,
            DeliveryKey = context.DedupeKey,
            OrderId = orderId,
            OrderNumber = root.Str("name") ?? root.Str("order_number"),
            CheckoutId = root.Str("checkout_token"),
            CustomerId = customer?.Long("id"),
            Email = root.Str("email") ?? root.Str("contact_email") ?? customer?.Str("email"),
            Currency = root.Str("presentment_currency") ?? root.Str("currency") ?? "USD",
            TotalPrice = root.Decimal("total_price") ?? 0,
            LineItems = LineItems(root),
            DiscountCodes = [.. root.Array("discount_codes").Select(d => d.Str("code")).OfType<string>()],
        });
    }

    private static Translation InventoryLevel(Context context, JsonElement root)
    {
        var itemId = root.RequiredLong("inventory_item_id");
        var locationId = root.RequiredLong("location_id");
        var updatedAt = root.Date("updated_at") ?? context.TriggeredAt;
        return Events(context, new ResourceVersion($"inventory:{itemId}:{locationId}", updatedAt), new InventoryLevelChanged
        {
            Id = context.EventId("inventory"),
            StoreId = context.StoreId,
            OccurredAt = updatedAt,
            DeliveryKey = context.DedupeKey,
            InventoryItemId = itemId,
            LocationId = locationId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Available = root.Int("available"),
        });
    }

    private static Translation Product(Context context, JsonElement root)
    {
        var productId = root.RequiredLong("id");
        var updatedAt = root.Date("updated_at") ?? context.TriggeredAt;
        var shop = context.Delivery.Header("x-shopify-shop-domain") ?? context.Delivery.Header("shopify-shop-domain");
        var handle = root.Str("handle");
        var variants = root.Array("variants").Select(v => new VariantSnapshot(
            VariantId: v.RequiredLong("id"),
            Sku: NullIfEmpty(v.Str("sku")),
            Title: v.Str("title"),
            InventoryItemId: v.Long("inventory_item_id"),
            InventoryQuantity: v.Int("inventory_quantity"),
            ManagesStock: IsTracked(v),
            SellsWhenOutOfStock: string.Equals(v.Str("inventory_policy"), "continue", StringComparison.OrdinalIgnoreCase),
            StockStatus: null,
            LowStockAmount: null,
            Price: v.Decimal("price"))).ToList();
        return Events(context, new ResourceVersion($"product:{productId}", updatedAt), new ProductUpdated
        {
            Id = context.EventId("product"),
            StoreId = context.StoreId,
            OccurredAt = updatedAt,
            DeliveryKey = context.DedupeKey,
            ProductId = productId,
            Title = root.Str("title") ?? "",
            Url = shop is not null && handle is not null ? $"https://{shop}/products/{handle}" : null,
            Status = root.Str("status"),
            ProductType = NullIfEmpty(root.Str("product_type")),
            Tags = SplitTags(root.Str("tags")),
            Variants = variants,
        });
    }

    /// <summary>
    /// Whether Shopify tracks the variant's quantity. Before 2024-07 the variant said so in <c>inventory_management</c>
    /// (<c>"shopify"</c> or a fulfillment service; <c>null</c>: not tracked), and an old payload is still read that way.
    /// Since 2024-07 the field is gone from variants, webhooks included (tracking is the inventory item's <c>tracked</c>,
    /// which product payloads do not carry): a variant with an inventory item and a quantity is taken as tracked.
    /// </summary>
    private static bool IsTracked(JsonElement variant) =>
        variant.TryGetProperty("inventory_management", out var management)
            ? management.ValueKind == JsonValueKind.String && management.GetString() is { Length: > 0 }
            : variant.Long("inventory_item_id") is not null && variant.Int("inventory_quantity") is not null;

    private static Translation Return(Context context, JsonElement root)
    {
        var returnId = root.Str("admin_graphql_api_id") ?? $"gid://shopify/Return/{root.RequiredLong("id")}";
        var order = root.Prop("order") ?? throw new FormatException("'order' is missing.");
        var lines = root.Array("return_line_items").Select(l => new ReturnLine(
            LineItemId: l.Prop("fulfillment_line_item")?.Prop("line_item")?.Long("id") ?? l.Long("line_item_id") ?? throw new FormatException("a return line has no line item id."),
            Quantity: l.Int("quantity") ?? 1,
            Reason: l.Str("return_reason"),
            Note: l.Str("customer_note") ?? l.Str("return_reason_note"))).ToList();
        return Events(context, null, new ReturnRequested
        {
            Id = $"return-requested:{returnId}",
            StoreId = context.StoreId,
            OccurredAt = context.TriggeredAt,
            DeliveryKey = context.DedupeKey,
            ReturnId = returnId,
            OrderId = order.RequiredLong("id"),
            Name = root.Str("name"),
            Lines = lines,
        });
    }

    private static Translation Refund(Context context, JsonElement root)
    {
        var refundId = root.RequiredLong("id");
        var amount = root.Array("transactions")
            .Where(t => t.Str("kind") == "refund" && t.Str("status") is null or "success")
            .Sum(t => t.Decimal("amount") ?? 0);
        return Events(context, null, new RefundCreated
        {
            Id = $"refund:{refundId}",
            StoreId = context.StoreId,
            OccurredAt = root.Date("created_at") ?? context.TriggeredAt,
            DeliveryKey = context.DedupeKey,
            RefundId = refundId,
            OrderId = root.RequiredLong("order_id"),
            Amount = amount,
            Reason = root.Str("note"),
            Lines = [.. root.Array("refund_line_items").Select(l => new RefundLine(
                l.RequiredLong("line_item_id"),
                l.Int("quantity") ?? 0,
                l.Str("restock_type") is { } restock && restock != "no_restock"))],
        });
    }

    private static Translation Compliance(Context context, JsonElement root, bool data)
    {
        var customer = root.Prop("customer");
        StoreEvent storeEvent = data
            ? new CustomerDataRequested
            {
                Id = context.EventId("data-request"),
                StoreId = context.StoreId,
                OccurredAt = context.TriggeredAt,
                DeliveryKey = context.DedupeKey,
                CustomerId = customer?.Long("id"),
                Email = customer?.Str("email"),
                Orders = [.. root.Array("orders_requested").Select(o => o.GetInt64())],
                RequestId = root.Prop("data_request")?.Long("id"),
            }
            : new CustomerRedactRequested
            {
                Id = context.EventId("redact"),
                StoreId = context.StoreId,
                OccurredAt = context.TriggeredAt,
                DeliveryKey = context.DedupeKey,
                CustomerId = customer?.Long("id"),
                Email = customer?.Str("email"),
                Orders = [.. root.Array("orders_to_redact").Select(o => o.GetInt64())],
            };
        return Events(context, null, storeEvent);
    }

    private static List<LineItem> LineItems(JsonElement root) =>
        [.. root.Array("line_items").Select(l => new LineItem(
            l.Long("product_id"),
            l.Long("variant_id"),
            NullIfEmpty(l.Str("sku")),
            l.Str("title") ?? l.Str("name") ?? "",
            l.Int("quantity") ?? 1,
            l.Decimal("price") ?? 0))];

    private static string[] SplitTags(string? tags) =>
        string.IsNullOrWhiteSpace(tags) ? [] : tags.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
