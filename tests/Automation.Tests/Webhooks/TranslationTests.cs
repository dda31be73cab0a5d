using System.Text;
using Automation.Events;
using Automation.Shopify;
using Automation.Stores;
using Automation.Tests.Infrastructure;
using Automation.WooCommerce;
using Automation.Webhooks;

namespace Automation.Tests.Webhooks;

public sealed class ShopifyTranslationTests
{
    private static Translation Translate(string topic, string fixture, string? eventId = "evt-1", string? body = null)
    {
        var headers = new Dictionary<string, string> { ["x-shopify-shop-domain"] = "demo-store.myshopify.com", ["x-shopify-triggered-at"] = "2026-11-20T10:16:03Z" };
        if (eventId is not null) headers["x-shopify-event-id"] = eventId;
        var delivery = new WebhookDelivery { Id = "d1", StoreId = "s1", Platform = Platform.Shopify, Topic = topic, ReceivedAt = DateTimeOffset.Parse("2026-11-20T10:16:04Z"), Headers = headers };
        return new ShopifyWebhookTranslator().Translate(delivery, Encoding.UTF8.GetBytes(body ?? Deliveries.Fixture($"shopify/{fixture}")));
    }

    [Test]
    public void CheckoutCreate_BecomesCheckoutStartedWithRecoveryDetails()
    {
        var result = Translate("checkouts/create", "checkouts.create.json");
        var checkout = result.Events.OfType<CheckoutStarted>().Single();
        Assert.Multiple(() =>
        {
            Assert.That(checkout.CheckoutId, Is.EqualTo("5f8b5a1a8cc0dbd3d2f1d9ac4e3c0f11"));
            Assert.That(checkout.CustomerId, Is.EqualTo(7654321098765432L), "ids above 2^53 survive");
            Assert.That(checkout.Email, Is.EqualTo("ann.buyer@example.com"));
            Assert.That(checkout.FirstName, Is.EqualTo("Ann"));
            Assert.That(checkout.AcceptsMarketing, Is.True);
            Assert.That(checkout.RecoveryUrl, Does.StartWith("https://demo-store.myshopify.com/").And.Contain("/recover"));
            Assert.That(checkout.TotalPrice, Is.EqualTo(59.90m));
            Assert.That(checkout.Currency, Is.EqualTo("EUR"));
            Assert.That(checkout.LineItems.Single(), Is.EqualTo(new LineItem(9120347160904, 48201930047816, "MUG-BLUE", "Ceramic mug", 2, 29.95m)));
            Assert.That(result.Version, Is.EqualTo(new ResourceVersion("checkout:5f8b5a1a8cc0dbd3d2f1d9ac4e3c0f11", DateTimeOffset.Parse("2026-11-20T10:16:02+01:00"))));
            Assert.That(result.DedupeKey, Is.EqualTo("shopify:checkouts/create:event:evt-1"));
        });
    }

    [Test]
    public void CheckoutUpdateWithCompletedAt_ClosesTheCheckout()
    {
        var closed = Translate("checkouts/update", "checkouts.update.completed.json").Events.OfType<CheckoutClosed>().Single();
        Assert.That((closed.CheckoutId, closed.Reason), Is.EqualTo(("5f8b5a1a8cc0dbd3d2f1d9ac4e3c0f11", "completed")));
    }

    [Test]
    public void OrderCreate_BecomesOrderPlacedKeyedByOrder()
    {
        var order = Translate("orders/create", "orders.create.json").Events.OfType<OrderPlaced>().Single();
        Assert.Multiple(() =>
        {
            Assert.That(order.Id, Is.EqualTo("order-placed:6230184263752"), "orders/create and orders/paid for one order are one placement");
            Assert.That(order.CheckoutId, Is.EqualTo("5f8b5a1a8cc0dbd3d2f1d9ac4e3c0f11"));
            Assert.That(order.OrderNumber, Is.EqualTo("#1042"));
            Assert.That(order.TotalPrice, Is.EqualTo(53.91m));
            Assert.That(order.DiscountCodes, Is.EqualTo(new[] { "COMEBACK-7F3A2B" }));
            Assert.That(order.Email, Is.EqualTo("ann.buyer@example.com"));
        });
    }

    [Test]
    public void InventoryLevelUpdate_NamesItemAndLocationWithoutVariant()
    {
        var result = Translate("inventory_levels/update", "inventory_levels.update.json");
        var level = result.Events.OfType<InventoryLevelChanged>().Single();
        Assert.That((level.InventoryItemId, level.LocationId, level.Available, level.VariantId), Is.EqualTo(((long?)50317562183752, "78901234567", (int?)3, (long?)null)));
        Assert.That(result.Version!.Key, Is.EqualTo("inventory:50317562183752:78901234567"));
    }

    [Test]
    public void InventoryLevelWithNullAvailable_IsUntracked()
    {
        var body = Deliveries.Fixture("shopify/inventory_levels.update.json").Replace("\"available\": 3", "\"available\": null", StringComparison.Ordinal);
        Assert.That(Translate("inventory_levels/update", "", body: body).Events.OfType<InventoryLevelChanged>().Single().Available, Is.Null);
    }

    [Test]
    public void ProductUpdate_CarriesVariantsWithInventoryItemsAndPolicy()
    {
        var product = Translate("products/update", "products.update.json").Events.OfType<ProductUpdated>().Single();
        Assert.Multiple(() =>
        {
            Assert.That(product.Url, Is.EqualTo("https://demo-store.myshopify.com/products/ceramic-mug"));
            Assert.That(product.Tags, Is.EqualTo(new[] { "kitchen", "stoneware" }));
            Assert.That(product.Variants, Has.Count.EqualTo(2));
            Assert.That(product.Variants[0], Is.EqualTo(new VariantSnapshot(48201930047816, "MUG-BLUE", "Blue", 50317562183752, 3, true, false, null, null, 29.95m)));
            Assert.That(product.Variants[1].SellsWhenOutOfStock, Is.True, "inventory_policy continue sells when sold out");
        });
    }

    [Test]
    public void ProductUpdateCurrentVersion_NoInventoryManagement_VariantWithInventoryItemAndQuantityIsTracked()
    {
        var product = Translate("products/update", "products.update.2026-07.json").Events.OfType<ProductUpdated>().Single();

        Assert.That(product.Variants[0], Is.EqualTo(new VariantSnapshot(48201930047816, "MUG-BLUE", "Blue", 50317562183752, 12, true, false, null, null, 29.95m)));
        Assert.That(product.Variants[1].ManagesStock, Is.True, "a tracked variant at 0 is sold out, not untracked");
        Assert.That(product.Variants[1].SellsWhenOutOfStock, Is.True);
    }

    [TestCase("\"inventory_item_id\": 50317562183752", "\"inventory_item_id\": null", TestName = "ProductUpdateCurrentVersion_NoInventoryItem_IsUntracked")]
    [TestCase("\"inventory_quantity\": 12", "\"inventory_quantity\": null", TestName = "ProductUpdateCurrentVersion_NoQuantity_IsUntracked")]
    public void ProductUpdateCurrentVersion_WithoutWhatTrackingNeeds_IsUntracked(string field, string replacement)
    {
        var body = Deliveries.Fixture("shopify/products.update.2026-07.json").Replace(field, replacement, StringComparison.Ordinal);

        var product = Translate("products/update", "", body: body).Events.OfType<ProductUpdated>().Single();

        Assert.That(product.Variants[0].ManagesStock, Is.False);
    }

    [Test]
    public void ProductUpdateOldVersion_ExplicitNullInventoryManagement_IsStillUntracked()
    {
        var body = Deliveries.Fixture("shopify/products.update.json").Replace("\"inventory_management\": \"shopify\",\n      \"requires_shipping\"", "\"inventory_management\": null,\n      \"requires_shipping\"", StringComparison.Ordinal);
        Assert.That(body, Does.Contain("\"inventory_management\": null"));

        var product = Translate("products/update", "", body: body).Events.OfType<ProductUpdated>().Single();

        Assert.That(product.Variants[0].ManagesStock, Is.False, "inventory_management null: Shopify does not track it, whatever the quantity says");
        Assert.That(product.Variants[1].ManagesStock, Is.True);
    }

    [Test]
    public void InventoryLevelUpdateCurrentVersion_NamesItemAndLocation()
    {
        var level = Translate("inventory_levels/update", "inventory_levels.update.2026-07.json").Events.OfType<InventoryLevelChanged>().Single();
        Assert.That((level.InventoryItemId, level.LocationId, level.Available), Is.EqualTo(((long?)50317562183752, "78901234567", (int?)3)));
    }

    [Test]
    public void ReturnRequest_CarriesLinesWithReasons()
    {
        var request = Translate("returns/request", "returns.request.json").Events.OfType<ReturnRequested>().Single();
        Assert.That(request.ReturnId, Is.EqualTo("gid://shopify/Return/12345678901"));
        Assert.That(request.OrderId, Is.EqualTo(6230184263752));
        Assert.That(request.Lines.Single(), Is.EqualTo(new ReturnLine(15012345678901, 1, "size_too_small", "Smaller than it looked")));
    }

    [Test]
    public void RefundCreate_SumsSuccessfulRefundTransactions()
    {
        var refund = Translate("refunds/create", "refunds.create.json").Events.OfType<RefundCreated>().Single();
        Assert.That((refund.RefundId, refund.OrderId, refund.Amount), Is.EqualTo((890123456789L, 6230184263752L, (decimal?)26.96m)));
        Assert.That(refund.Lines.Single(), Is.EqualTo(new RefundLine(15012345678901, 1, true)));
    }

    [Test]
    public void ComplianceTopics_BecomeComplianceEvents()
    {
        var redact = Translate("customers/redact", "customers.redact.json").Events.OfType<CustomerRedactRequested>().Single();
        var data = Translate("customers/data_request", "customers.data_request.json").Events.OfType<CustomerDataRequested>().Single();
        var shop = Translate("shop/redact", "shop.redact.json").Events.Single();
        Assert.Multiple(() =>
        {
            Assert.That(redact.Orders, Is.EqualTo(new[] { 6230184263752L, 6230184263753L }));
            Assert.That(data.RequestId, Is.EqualTo(9999));
            Assert.That(shop, Is.TypeOf<ShopRedactRequested>());
        });
    }

    [Test]
    public void UnknownTopic_IsKeptAndIgnored() =>
        Assert.That(Translate("collections/update", "shop.redact.json").Outcome, Is.EqualTo(TranslationOutcome.Ignored));

    [TestCase("{not json", "not JSON")]
    [TestCase("[1,2]", "not a JSON object")]
    [TestCase("{\"id\": \"abc\"}", "not in the documented shape")]
    public void BrokenPayload_IsUnparseableWithReason(string body, string reason)
    {
        var result = Translate("orders/create", "", body: body);
        Assert.That(result.Outcome, Is.EqualTo(TranslationOutcome.Unparseable));
        Assert.That(result.Reason, Does.Contain(reason));
    }

    [Test]
    public void WithoutEventId_WebhookIdOrBodyIsTheDedupeKey()
    {
        var result = Translate("orders/create", "orders.create.json", eventId: null);
        Assert.That(result.DedupeKey, Does.StartWith("shopify:orders/create:body:"));
    }
}

public sealed class WooCommerceTranslationTests
{
    private static Translation Translate(string topic, string fixture)
    {
        var delivery = new WebhookDelivery { Id = "d1", StoreId = "w1", Platform = Platform.WooCommerce, Topic = topic, ReceivedAt = DateTimeOffset.Parse("2026-11-20T12:00:00Z"), Headers = new Dictionary<string, string>() };
        return new WooCommerceWebhookTranslator().Translate(delivery, Encoding.UTF8.GetBytes(Deliveries.Fixture($"woocommerce/{fixture}")));
    }

    [Test]
    public void PendingOrderWithEmail_IsAnAbandonedCheckout()
    {
        var checkout = Translate("order.created", "order.created.pending.json").Events.OfType<CheckoutStarted>().Single();
        Assert.Multiple(() =>
        {
            Assert.That(checkout.CheckoutId, Is.EqualTo("order-727"));
            Assert.That(checkout.Email, Is.EqualTo("bo.shopper@example.com"));
            Assert.That(checkout.AcceptsMarketing, Is.True);
            Assert.That(checkout.RecoveryUrl, Does.Contain("order-pay/727"));
            Assert.That(checkout.LineItems.Select(l => l.VariantId), Is.EqualTo(new long?[] { 93, 23 }));
            Assert.That(checkout.TotalPrice, Is.EqualTo(39.00m));
        });
    }

    [Test]
    public void OrderCreatedBeforePayment_IsNotAnOrderPlaced() =>
        Assert.That(Translate("order.created", "order.created.pending.json").Events.OfType<OrderPlaced>(), Is.Empty);

    [Test]
    public void OrderUpdatedOncePaid_IsOrderPlaced()
    {
        var order = Translate("order.updated", "order.updated.paid.json").Events.OfType<OrderPlaced>().Single();
        Assert.That((order.Id, order.CheckoutId, order.TotalPrice), Is.EqualTo(("order-placed:727", "order-727", 39.00m)));
        Assert.That(order.DiscountCodes, Is.EqualTo(new[] { "comeback-1a2b" }));
    }

    [Test]
    public void CheckoutDraft_IsIgnored() =>
        Assert.That(Translate("order.updated", "order.updated.checkout-draft.json").Outcome, Is.EqualTo(TranslationOutcome.Ignored));

    [Test]
    public void RefundedOrder_CarriesTheRefund()
    {
        var refund = Translate("order.updated", "order.updated.refunded.json").Events.OfType<RefundCreated>().Single();
        Assert.That((refund.Id, refund.Amount, refund.Reason), Is.EqualTo(("refund:731", (decimal?)39.00m, "Damaged in transit")));
    }

    [Test]
    public void VariationUpdate_IsItsOwnProductWithStockLevel()
    {
        var result = Translate("product.updated", "product.updated.variation.json");
        var product = result.Events.OfType<ProductUpdated>().Single();
        var level = result.Events.OfType<InventoryLevelChanged>().Single();
        Assert.Multiple(() =>
        {
            Assert.That((product.ProductId, product.ParentProductId), Is.EqualTo((733L, (long?)22)));
            Assert.That((level.VariantId, level.ProductId, level.Sku, level.Available, level.LowStockAmount, level.LocationId), Is.EqualTo(((long?)733, (long?)22, "SYI-BLACK-M", (int?)4, (int?)5, "default")));
            Assert.That(result.Version, Is.EqualTo(new ResourceVersion("product:733", DateTimeOffset.Parse("2026-11-20T11:59:00Z"))));
        });
    }

    [Test]
    public void BackordersAllowed_SellsWhenOutOfStock() =>
        Assert.That(Translate("product.updated", "product.updated.simple.json").Events.OfType<InventoryLevelChanged>().Single().SellsWhenOutOfStock, Is.True);

    [Test]
    public void SameBodyTwice_HasTheSameDedupeKey()
    {
        var first = Translate("product.updated", "product.updated.simple.json");
        var second = Translate("product.updated", "product.updated.simple.json");
        Assert.That(second.DedupeKey, Is.EqualTo(first.DedupeKey).And.StartWith("woo:product.updated:93:"));
    }
}
