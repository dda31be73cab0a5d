using System.Net;
using System.Net.Http.Json;
using Automation.Storage;
using Automation.Tests.AbandonedCart;
using Automation.Tests.Infrastructure;
using Automation.Tests.Returns;
using Azure.Data.Tables;
using Microsoft.DurableTask.Client;

namespace Automation.Tests.Compliance;

/// <summary>
/// One Shopify store and one customer, seeded through the app's real paths: a checkout (its recovery flow), a product
/// and a waitlist signup, an order, and a self-service return approved with a label — all carrying the customer's
/// email and name, in webhook deliveries, rows, blobs and Durable history.
/// </summary>
internal sealed class ErasureScenario(TestApp app, string store, string email, string firstName, string lastName)
{
    public const long OrderId = 6230184263752;
    public const long CustomerId = 7654321098765432;
    public const long MugVariant = 48201930047816;
    public const long FastSellerOrderId = 7001;
    private const long MugLine = 15012345678901;
    private static int _levels;

    public string Store { get; } = store;
    public string Email { get; } = email;
    public string ShopDomain => DomainOf(Store);
    public string? Rma { get; private set; }

    public static string DomainOf(string store) => $"{store}.myshopify.com";

    public static string SecretOf(string store) => TestSecrets.For("erasure-webhook-" + store);

    /// <summary>The store's settings: fast enough for a test, the customer's return approved with a label, low stock off.</summary>
    public static void Configure(Dictionary<string, string?> s, FakePlatform platform, string store)
    {
        s[$"Stores:{store}:Platform"] = "Shopify";
        s[$"Stores:{store}:ShopDomain"] = DomainOf(store);
        s[$"Stores:{store}:WebhookSecret"] = SecretOf(store);
        s[$"Stores:{store}:AdminApiBaseUrl"] = platform.ShopifyAdminApiBaseUrl;
        s[$"Stores:{store}:AccessToken"] = "shpat_erasure";
        s[$"Stores:{store}:Currency"] = "EUR";
        s[$"Stores:{store}:Inventory:DefaultLowStockThreshold"] = "-1";
        s[$"Stores:{store}:Returns:Warehouses:0:Id"] = "ams";
        s[$"Stores:{store}:Returns:Warehouses:0:Name"] = "Returns NL";
        s[$"Stores:{store}:Returns:Warehouses:0:Line1"] = "Havenweg 4";
        s[$"Stores:{store}:Returns:Warehouses:0:City"] = "Amsterdam";
        s[$"Stores:{store}:Returns:Warehouses:0:PostalCode"] = "1000 AB";
        s[$"Stores:{store}:Returns:Warehouses:0:CountryCode"] = "NL";
        s[$"Stores:{store}:Returns:Warehouses:0:Email"] = "receiving@example.com";
        s["AbandonedCart:ReminderDelay"] = "01:00:00";
        s["AbandonedCart:QuietHoursStart"] = "00:00:00";
        s["AbandonedCart:QuietHoursEnd"] = "00:00:00";
        s["AbandonedCart:PublicBaseUrl"] = "http://shop-automation.test";
    }

    /// <summary>Low stock with a supplier for MUG-BLUE (a purchase order when it runs low).</summary>
    public static void ConfigureStock(Dictionary<string, string?> s, string store)
    {
        s[$"Stores:{store}:Inventory:DefaultLowStockThreshold"] = "5";
        s[$"Stores:{store}:LowStock:GroupingWindow"] = "00:00:00";
        s[$"Stores:{store}:LowStock:Suppliers:acme:Name"] = "Acme Mugs";
        s[$"Stores:{store}:LowStock:Suppliers:acme:Email"] = "orders@acme.test";
        s[$"Stores:{store}:LowStock:Suppliers:acme:LeadTime"] = "7.00:00:00";
        s[$"Stores:{store}:LowStock:Suppliers:acme:MinimumOrderQuantity"] = "10";
        s[$"Stores:{store}:LowStock:Skus:MUG-BLUE:Supplier"] = "acme";
    }

    /// <summary>Shopify's answers for the return: the order (the customer's email, name and address) and the return's mutations.</summary>
    public static void ProgramShopify(FakePlatform platform, string email, string firstName, string lastName) => platform
        .ReturnOrder(() => ShopifyReturnAnswers.Order(OrderId, email, $"{firstName} {lastName}", "Keizersgracht 1", "1015 AA",
            new ShopifyReturnLine(MugLine, "Ceramic mug - Blue", "MUG-BLUE", 2, "29.95", "Mugs", [], [])))
        .ReturnMutations()
        .OnGraphQLData("tagsAdd", _ => new { tagsAdd = new { node = new { id = "gid://shopify/Product/9120347160904" }, userErrors = Array.Empty<object>() } })
        .OnGraphQLData("tagsRemove", _ => new { tagsRemove = new { node = new { id = "gid://shopify/Product/9120347160904" }, userErrors = Array.Empty<object>() } });

    /// <summary>A documented payload with the fixture's customer (Ann Buyer) replaced by this one.</summary>
    private string Personal(string fixture) => Deliveries.Fixture(fixture)
        .Replace("ann.buyer@example.com", Email, StringComparison.Ordinal)
        .Replace("\"Ann\"", $"\"{firstName}\"", StringComparison.Ordinal)
        .Replace("\"Buyer\"", $"\"{lastName}\"", StringComparison.Ordinal);

    private async Task SendAsync(string topic, string body)
    {
        var response = await app.Http.SendAsync(Deliveries.Shopify(ShopDomain, topic, body, SecretOf(Store)));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), topic);
    }

    /// <summary>Everything, in the order a customer would cause it, each step settled before the next.</summary>
    public async Task SeedAsync()
    {
        var durable = app.Services.GetRequiredService<DurableTaskClient>();
        var recovery = Automation.AbandonedCart.RecoveryIds.InstanceId(Store, Automation.AbandonedCart.RecoveryIds.CustomerKey(Email));

        // The catalogue, then the customer's checkout: their recovery flow starts and waits.
        await SendAsync("products/update", Deliveries.Fixture("shopify/products.update.json"));
        await Eventually.Until(async () => (await Azurite.Table(Automation.Inventory.InventoryView.Table).GetEntityIfExistsAsync<TableEntity>(Store, MugVariant.ToString(System.Globalization.CultureInfo.InvariantCulture))).HasValue,
            TimeSpan.FromSeconds(20), "the product in the inventory view");
        await SendAsync("checkouts/create", Personal("shopify/checkouts.create.json"));
        await Eventually.Until(async () => await durable.GetInstanceAsync(recovery) is { RuntimeStatus: OrchestrationRuntimeStatus.Running }, TimeSpan.FromSeconds(30), "the recovery flow waiting");

        // A waitlist signup (the product page's form).
        var signup = await app.Http.PostAsJsonAsync($"api/stores/{Store}/waitlist", new { email = Email, firstName, sku = "MUG-BLUE", consent = true });
        Assert.That(signup.StatusCode, Is.EqualTo(HttpStatusCode.Created), await signup.Content.ReadAsStringAsync());

        // The order: it ends the recovery flow (and is counted as a sale).
        await SendAsync("orders/create", Personal("shopify/orders.create.json"));
        await Eventually.Until(async () => await durable.GetInstanceAsync(recovery) is { IsCompleted: true }, TimeSpan.FromSeconds(30), "the recovery flow ended by the order");

        // A self-service return, approved, with its label.
        var asked = await app.Http.PostAsJsonAsync($"api/stores/{Store}/returns", new { orderNumber = "#1042", email = Email, wish = "refund", items = new[] { new { lineItemId = MugLine, quantity = 1, reason = "broken" } } });
        Assert.That(asked.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await asked.Content.ReadAsStringAsync());
        Rma = (await asked.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("rma").GetString();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            var flow = await durable.WaitForInstanceCompletionAsync(Automation.Returns.StartReturnFlow.InstanceId(Store, Rma!), cancellation: timeout.Token);
            Assert.That(flow.RuntimeStatus, Is.EqualTo(OrchestrationRuntimeStatus.Completed));
        }

        Assert.That(await LabelExistsAsync(), Is.True, "the return's label is in blob storage");
        await QuietAsync();
    }

    /// <summary>
    /// MUG-BLUE sells fast (an order yesterday), is restocked, runs low (a purchase order to its supplier) and sells out
    /// (the out-of-stock automation tags the product and records the episode).
    /// </summary>
    public async Task LowThenSoldOutAsync()
    {
        await app.PublishAsync(new Automation.Events.OrderPlaced
        {
            Id = "order-placed:fast-seller",
            StoreId = Store,
            OccurredAt = DateTimeOffset.UtcNow.AddDays(-1),
            OrderId = FastSellerOrderId,
            Currency = "EUR",
            LineItems = [new Automation.Events.LineItem(1, MugVariant, "MUG-BLUE", "Ceramic mug", 56, 29.95m)],
        });
        await LevelAsync(20, "restocked");
        await LevelAsync(3, "low");
        await Eventually.Until(async () => await DataRowsAsync(Automation.LowStock.PurchaseOrders.Table, Store) > 0, TimeSpan.FromSeconds(20), "the supplier's purchase order");
        await LevelAsync(0, "sold out");
        await Eventually.Until(async () => await DataRowsAsync(Automation.OutOfStock.SoldOutEpisodes.Table, Store) > 0, TimeSpan.FromSeconds(20), "the sold-out episode");
    }

    /// <summary>MUG-BLUE at <paramref name="available"/> now, acted on.</summary>
    public async Task LevelAsync(int available, string what)
    {
        await app.PublishAsync(new Automation.Events.InventoryLevelChanged
        {
            Id = $"level-{Interlocked.Increment(ref _levels)}",
            StoreId = Store,
            OccurredAt = DateTimeOffset.UtcNow,
            VariantId = MugVariant,
            ProductId = 9120347160904,
            Sku = "MUG-BLUE",
            LocationId = "default",
            Available = available,
        });
        await Eventually.Until(async () =>
            (await Azurite.Table(Automation.Inventory.InventoryView.Table).GetEntityAsync<TableEntity>(Store, MugVariant.ToString(System.Globalization.CultureInfo.InvariantCulture))).Value is var row
            && Automation.Inventory.VariantStock.FromEntity(row).Available([]) == available && row.GetString("Pending") is null, TimeSpan.FromSeconds(20), $"MUG-BLUE {what}");
    }

    /// <summary>A delivery too large for a queue message: its body waits in blob storage (and the delivery is kept as Ignored).</summary>
    public async Task LargeDeliveryAsync()
    {
        var body = $$"""{"id": 1, "pad": "{{new string('x', 60 * 1024)}}"}""";
        await SendAsync("collections/update", body);
        var bodies = Azurite.Container(BlobContainers.WebhookBodies);
        await Eventually.Until(async () => (await bodies.ExistsAsync()).Value && await bodies.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, Store + "/", default).AnyAsync(),
            TimeSpan.FromSeconds(20), "the large body in blob storage");
        await QuietAsync();
    }

    /// <summary>Rows of a table's partition, not counting index rows (0 while the table does not exist).</summary>
    public static async Task<int> DataRowsAsync(string table, string partition)
    {
        try
        {
            return await Azurite.Table(table).QueryAsync<TableEntity>(Automation.Retention.DayIndex.DataRows(partition)).CountAsync();
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            return 0;
        }
    }

    /// <summary>Shopify's customers/redact for the customer and the order.</summary>
    public Task RedactAsync() => SendAsync("customers/redact",
        $$"""{"shop_id":1,"shop_domain":"{{ShopDomain}}","customer":{"id":{{CustomerId}},"email":"{{Email}}","phone":null},"orders_to_redact":[{{OrderId}}]}""");

    public async Task<bool> LabelExistsAsync() =>
        Rma is not null && (await Azurite.Container(Automation.Returns.Labels.LabelStorage.Container).GetBlobClient(Automation.Returns.Labels.LabelStorage.BlobName(Store, Rma)).ExistsAsync()).Value;

    /// <summary>Every queue the app consumes is empty (nothing in flight).</summary>
    public static async Task QuietAsync() =>
        await Eventually.Until(async () =>
        {
            foreach (var queue in new[] { QueueNames.WebhookDeliveries, QueueNames.AbandonedCartEvents, QueueNames.InventoryEvents, QueueNames.ReturnEvents, QueueNames.ComplianceEvents, Automation.LowStock.LowStockRegistration.SupplierOrdersQueue })
            {
                if (await TestApp.CountMessagesAsync(queue) > 0) return false;
            }

            return true;
        }, TimeSpan.FromSeconds(30), "every queue drained");
}
