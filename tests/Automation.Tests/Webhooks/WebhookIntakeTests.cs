using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Automation.Events;
using Automation.Storage;
using Automation.Tests.Infrastructure;
using Azure.Data.Tables;

namespace Automation.Tests.Webhooks;

[NonParallelizable]
public sealed class WebhookIntakeTests
{
    private const string ShopDomain = "demo-store.myshopify.com";
    internal static readonly string ShopSecret = TestSecrets.For("webhook-intake-shop");
    private const string OtherShopDomain = "other-store.myshopify.com";
    private static readonly string OtherShopSecret = TestSecrets.For("webhook-intake-other");
    private const string WooSource = "https://demo-woo.example.com/";
    private static readonly string WooSecret = TestSecrets.For("webhook-intake-woo");
    private static readonly string RotatedOutSecret = TestSecrets.For("webhook-intake-rotated");

    private TestApp _app = null!;

    [SetUp]
    public async Task StartApp()
    {
        _app = await TestApp.StartAsync(ConfigureStores);
    }

    [TearDown]
    public async Task StopApp() => await _app.DisposeAsync();

    internal static void ConfigureStores(Dictionary<string, string?> s)
    {
        s["Stores:shop:Platform"] = "Shopify";
        s["Stores:shop:ShopDomain"] = ShopDomain;
        s["Stores:shop:WebhookSecret"] = ShopSecret;
        s["Stores:shop:PreviousWebhookSecret"] = RotatedOutSecret;
        s["Stores:other:Platform"] = "Shopify";
        s["Stores:other:ShopDomain"] = OtherShopDomain;
        s["Stores:other:WebhookSecret"] = OtherShopSecret;
        s["Stores:woo:Platform"] = "WooCommerce";
        s["Stores:woo:SiteUrl"] = WooSource;
        s["Stores:woo:WebhookSecret"] = WooSecret;

        // These tests look at what intake puts on the automation queues, so the automations must not consume it.
        s["AzureWebJobs.HandleReturnEvent.Disabled"] = "true";
        s["AzureWebJobs.RecoverAbandonedCheckouts.Disabled"] = "true";
        s["AzureWebJobs.HandleInventoryEvent.Disabled"] = "true";
    }

    private Task<HttpResponseMessage> Send(HttpRequestMessage request) => _app.Http.SendAsync(request);

    private static async Task<List<TableEntity>> DeliveriesAsync(string storeId)
    {
        var table = Azurite.Table(TableNames.WebhookDeliveries);
        if (!await TableExists(TableNames.WebhookDeliveries)) return [];
        // The deliveries, not the index rows kept beside them (Retention.DayIndex, the customer index).
        return await table.QueryAsync<TableEntity>(Automation.Retention.DayIndex.DataRows(storeId)).ToListAsync();
    }

    private static async Task<bool> TableExists(string name)
    {
        await foreach (var _ in new TableServiceClient(Azurite.ConnectionString).QueryAsync(t => t.Name == name)) return true;
        return false;
    }

    private static async Task<T> SingleEventAsync<T>(string queue) where T : StoreEvent
    {
        T? found = null;
        await Eventually.Until(async () => (found = (await TestApp.PeekEventsAsync(queue)).OfType<T>().FirstOrDefault()) is not null, TimeSpan.FromSeconds(15), $"a {typeof(T).Name} on {queue}");
        return found!;
    }

    private static async Task WaitForStatusAsync(string storeId, string status, int count = 1) =>
        await Eventually.Until(async () => (await DeliveriesAsync(storeId)).Count(d => d.GetString("Status") == status) >= count, TimeSpan.FromSeconds(15), $"{count} delivery(ies) {status}");

    [Test]
    public async Task SignedShopifyOrder_BecomesOrderPlacedOnBothConsumingQueues()
    {
        var response = await Send(Deliveries.Shopify(ShopDomain, "orders/create", Deliveries.Fixture("shopify/orders.create.json"), ShopSecret));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var order = await SingleEventAsync<OrderPlaced>(QueueNames.AbandonedCartEvents);
        Assert.That((order.StoreId, order.OrderId), Is.EqualTo(("shop", 6230184263752L)));
        Assert.That((await SingleEventAsync<OrderPlaced>(QueueNames.InventoryEvents)).Id, Is.EqualTo(order.Id));
        await WaitForStatusAsync("shop", "Processed");
    }

    [Test]
    public async Task SignedWooCommercePendingOrder_BecomesCheckoutStarted()
    {
        var response = await Send(Deliveries.WooCommerce(WooSource, "order.created", Deliveries.Fixture("woocommerce/order.created.pending.json"), WooSecret));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var checkout = await SingleEventAsync<CheckoutStarted>(QueueNames.AbandonedCartEvents);
        Assert.That((checkout.StoreId, checkout.CheckoutId), Is.EqualTo(("woo", "order-727")));
    }

    [Test]
    public async Task KeptDelivery_HasRawBodyAndHeadersForInspection()
    {
        var body = Deliveries.Fixture("shopify/orders.create.json");
        await Send(Deliveries.Shopify(ShopDomain, "orders/create", body, ShopSecret));
        await WaitForStatusAsync("shop", "Processed");

        var listed = await _app.Admin.GetFromJsonAsync<JsonElement>("api/admin/deliveries/shop");
        var key = listed[0].GetProperty("key").GetString();
        var detail = await _app.Admin.GetFromJsonAsync<JsonElement>($"api/admin/deliveries/shop/{key}");
        Assert.That(detail.GetProperty("body").GetString(), Is.EqualTo(body), "byte-for-byte body");
        Assert.That(detail.GetProperty("headers").GetString(), Does.Contain("x-shopify-topic"));
        Assert.That((await _app.Http.GetAsync("api/admin/deliveries/shop")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "operator endpoints need the key");
    }

    [Test]
    public async Task WrongSignature_Is401AndNothingStored()
    {
        var request = Deliveries.Shopify(ShopDomain, "orders/create", Deliveries.Fixture("shopify/orders.create.json"), "not-the-secret");
        var response = await Send(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await TestApp.CountMessagesAsync(QueueNames.WebhookDeliveries), Is.Zero);
        Assert.That(await DeliveriesAsync("shop"), Is.Empty);
    }

    [Test]
    public async Task MissingSignature_Is401()
    {
        var request = Deliveries.Shopify(ShopDomain, "orders/create", "{}", ShopSecret);
        request.Headers.Remove("X-Shopify-Hmac-Sha256");
        Assert.That((await Send(request)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await TestApp.CountMessagesAsync(QueueNames.WebhookDeliveries), Is.Zero);
    }

    [Test]
    public async Task UnknownStore_Is401()
    {
        var response = await Send(Deliveries.Shopify("stranger.myshopify.com", "orders/create", "{}", ShopSecret));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await TestApp.CountMessagesAsync(QueueNames.WebhookDeliveries), Is.Zero);
    }

    [Test]
    public async Task AnotherStoresSecret_DoesNotAuthenticate()
    {
        // Signed correctly for "other", but claiming to be "shop".
        var response = await Send(Deliveries.Shopify(ShopDomain, "orders/create", Deliveries.Fixture("shopify/orders.create.json"), OtherShopSecret));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task PreviousSecretDuringRotation_IsAccepted()
    {
        var response = await Send(Deliveries.Shopify(ShopDomain, "orders/create", Deliveries.Fixture("shopify/orders.create.json"), RotatedOutSecret));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task BodyOverTheLimit_Is413AndNothingStored()
    {
        var body = "{\"pad\":\"" + new string('x', 1024 * 1024) + "\"}";
        var response = await Send(Deliveries.Shopify(ShopDomain, "orders/create", body, ShopSecret));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(await TestApp.CountMessagesAsync(QueueNames.WebhookDeliveries), Is.Zero);
    }

    [Test]
    public async Task ChunkedBodyOverTheLimit_Is413()
    {
        var body = Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('x', 1024 * 1024) + "\"}");
        var request = Deliveries.Shopify(ShopDomain, "orders/create", "{}", ShopSecret);
        request.Content = new StreamContent(new MemoryStream(body));
        request.Headers.TransferEncodingChunked = true;
        request.Headers.Remove("X-Shopify-Hmac-Sha256");
        request.Headers.Add("X-Shopify-Hmac-Sha256", Deliveries.Sign(body, ShopSecret));
        Assert.That((await Send(request)).StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
    }

    [Test]
    public async Task LargeButAllowedBody_IsKeptInBlobAndTranslated()
    {
        // 200 KB of line items: too large for a queue message, so the body travels through blob storage.
        var order = JsonNodeOf(Deliveries.Fixture("shopify/orders.create.json"));
        var items = order["line_items"]!.AsArray();
        var template = items[0]!.ToJsonString();
        for (var i = 0; i < 400; i++) items.Add(System.Text.Json.Nodes.JsonNode.Parse(template));
        var body = order.ToJsonString();
        Assert.That(body.Length, Is.GreaterThan(100_000));

        Assert.That((await Send(Deliveries.Shopify(ShopDomain, "orders/create", body, ShopSecret))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var placed = await SingleEventAsync<OrderPlaced>(QueueNames.AbandonedCartEvents);
        Assert.That(placed.LineItems, Has.Count.EqualTo(401));
    }

    [Test]
    public async Task WooCommercePing_Is200AndNotAnEvent()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/webhooks/woocommerce") { Content = new StringContent("webhook_id=42", Encoding.ASCII, "application/x-www-form-urlencoded") };
        var response = await Send(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await TestApp.CountMessagesAsync(QueueNames.WebhookDeliveries), Is.Zero);
    }

    [Test]
    public async Task UnsignedNonPingWooCommerceBody_Is401()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/webhooks/woocommerce") { Content = new StringContent("webhook_id=42&evil=1", Encoding.ASCII, "application/x-www-form-urlencoded") };
        Assert.That((await Send(request)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task ShopifyRetryWithSameEventId_HasNoSecondEffect()
    {
        var body = Deliveries.Fixture("shopify/checkouts.create.json");
        Assert.That((await Send(Deliveries.Shopify(ShopDomain, "checkouts/create", body, ShopSecret, eventId: "evt-77"))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await Send(Deliveries.Shopify(ShopDomain, "checkouts/create", body, ShopSecret, eventId: "evt-77"))).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        await Eventually.Until(async () => await TestApp.CountMessagesAsync(QueueNames.WebhookDeliveries) == 0 && (await DeliveriesAsync("shop")).All(d => d.GetString("Status") == "Processed"), TimeSpan.FromSeconds(15), "both deliveries handled");
        Assert.That((await TestApp.PeekEventsAsync(QueueNames.AbandonedCartEvents)).OfType<CheckoutStarted>().Count(), Is.EqualTo(1));
        Assert.That(await DeliveriesAsync("shop"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task WooCommerceSameBodyTwiceWithDifferentDeliveryIds_HasNoSecondEffect()
    {
        var body = Deliveries.Fixture("woocommerce/order.created.pending.json");
        await Send(Deliveries.WooCommerce(WooSource, "order.created", body, WooSecret));
        await Send(Deliveries.WooCommerce(WooSource, "order.created", body, WooSecret));

        await Eventually.Until(async () => await TestApp.CountMessagesAsync(QueueNames.WebhookDeliveries) == 0 && (await DeliveriesAsync("woo")).All(d => d.GetString("Status") == "Processed"), TimeSpan.FromSeconds(15), "both deliveries handled");
        Assert.That((await TestApp.PeekEventsAsync(QueueNames.AbandonedCartEvents)).Count, Is.EqualTo(1));
    }

    [Test]
    public async Task StaleProductUpdate_DoesNotOverwriteNewerState()
    {
        var newer = Deliveries.Fixture("shopify/products.update.json");
        var older = newer.Replace("\"updated_at\": \"2026-11-20T10:59:00+01:00\",\n  \"vendor\"", "\"updated_at\": \"2026-11-20T09:00:00+01:00\",\n  \"vendor\"", StringComparison.Ordinal)
            .Replace("\"inventory_quantity\": 3", "\"inventory_quantity\": 9", StringComparison.Ordinal);
        Assert.That(older, Is.Not.EqualTo(newer));

        await Send(Deliveries.Shopify(ShopDomain, "products/update", newer, ShopSecret));
        await WaitForStatusAsync("shop", "Processed");
        await Send(Deliveries.Shopify(ShopDomain, "products/update", older, ShopSecret));
        await WaitForStatusAsync("shop", "Stale");

        var products = (await TestApp.PeekEventsAsync(QueueNames.InventoryEvents)).OfType<ProductUpdated>().ToList();
        Assert.That(products, Has.Count.EqualTo(1));
        Assert.That(products[0].Variants[0].InventoryQuantity, Is.EqualTo(3));
    }

    [Test]
    public async Task InventoryLevelAfterProduct_NamesVariantAndSku()
    {
        await Send(Deliveries.Shopify(ShopDomain, "products/update", Deliveries.Fixture("shopify/products.update.json"), ShopSecret));
        await WaitForStatusAsync("shop", "Processed");
        await Send(Deliveries.Shopify(ShopDomain, "inventory_levels/update", Deliveries.Fixture("shopify/inventory_levels.update.json"), ShopSecret));

        var level = await SingleEventAsync<InventoryLevelChanged>(QueueNames.InventoryEvents);
        Assert.That((level.VariantId, level.Sku, level.Available), Is.EqualTo(((long?)48201930047816, "MUG-BLUE", (int?)3)));
    }

    [Test]
    public async Task AuthenticButUnparseable_IsKeptWithReasonAndPoisoned()
    {
        await Send(Deliveries.Shopify(ShopDomain, "orders/create", "{\"id\": \"not-a-number\"", ShopSecret));

        await Eventually.Until(async () => (await TestApp.PeekPoisonAsync(QueueNames.WebhookDeliveries)).Count == 1, TimeSpan.FromSeconds(15), "the delivery in webhook-deliveries-poison");
        var poison = (await TestApp.PeekPoisonAsync(QueueNames.WebhookDeliveries)).Single();
        Assert.That(poison.Error, Does.Contain("not JSON"));
        Assert.That(poison.DequeueCount, Is.EqualTo(1), "a parse failure is not retried");
        var kept = (await DeliveriesAsync("shop")).Single();
        Assert.That((kept.GetString("Status"), kept.GetString("Reason")), Is.EqualTo(("Unparseable", kept.GetString("Reason"))));
        Assert.That(kept.GetString("Reason"), Does.Contain("not JSON"));
    }

    [Test]
    public async Task UnknownTopic_IsAcknowledgedAndKept()
    {
        var response = await Send(Deliveries.Shopify(ShopDomain, "collections/update", "{\"id\": 1}", ShopSecret));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await WaitForStatusAsync("shop", "Ignored");
        Assert.That(await TestApp.PeekPoisonAsync(QueueNames.WebhookDeliveries), Is.Empty);
    }

    [Test]
    public async Task ReplayOfAProcessedDelivery_TranslatesItAgain()
    {
        await Send(Deliveries.Shopify(ShopDomain, "checkouts/create", Deliveries.Fixture("shopify/checkouts.create.json"), ShopSecret));
        await WaitForStatusAsync("shop", "Processed");
        var key = (await DeliveriesAsync("shop")).Single().RowKey;

        var replay = await _app.Admin.PostAsync($"api/admin/deliveries/shop/{key}/replay", null);
        Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        await Eventually.Until(async () => (await TestApp.PeekEventsAsync(QueueNames.AbandonedCartEvents)).Count == 2, TimeSpan.FromSeconds(15), "the replayed event");
    }

    [Test]
    public async Task ComplianceRedact_IsRecordedAndSentToEveryAutomation()
    {
        await Send(Deliveries.Shopify(ShopDomain, "customers/redact", Deliveries.Fixture("shopify/customers.redact.json"), ShopSecret));

        foreach (var queue in new[] { QueueNames.AbandonedCartEvents, QueueNames.InventoryEvents, QueueNames.ReturnEvents })
        {
            await SingleEventAsync<CustomerRedactRequested>(queue);
        }

        await Eventually.Until(async () => await TableExists(TableNames.ComplianceRequests)
            && await Azurite.Table(TableNames.ComplianceRequests).QueryAsync<TableEntity>().AnyAsync(), TimeSpan.FromSeconds(15), "the compliance record");
    }

    private static System.Text.Json.Nodes.JsonObject JsonNodeOf(string json) => System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
}
