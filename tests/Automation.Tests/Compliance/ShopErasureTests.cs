using System.Net;
using System.Text.RegularExpressions;
using Automation.Events;
using Automation.Inventory;
using Automation.LowStock;
using Automation.OutOfStock;
using Automation.Storage;
using Automation.Tests.Infrastructure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;

namespace Automation.Tests.Compliance;

/// <summary>
/// Shopify's <c>shop/redact</c>: nothing of the store is left — no row in any table (its inventory, sales, sold-out
/// episodes, purchase orders, waitlists, returns, flows' outcomes, effects, deliveries), no blob, no orchestration —
/// but the record of the redaction itself; and another store whose id starts the same way keeps everything.
/// </summary>
[NonParallelizable]
public sealed class ShopErasureTests
{
    private const string Gone = "shop";
    private const string Kept = "shop-2";

    private FakePlatform _platform = null!;
    private TestApp _app = null!;

    [SetUp]
    public async Task SetUp()
    {
        await MailSink.ClearAsync();
        _platform = await FakePlatform.StartAsync();
        ErasureScenario.ProgramShopify(_platform, "hedda.vantongeren@example.test", "Hedda", "Vantongeren");
        _platform.OnGraphQLData("tagsAdd", _ => new { tagsAdd = new { node = new { id = "gid://shopify/Product/9120347160904" }, userErrors = Array.Empty<object>() } });
        _platform.OnGraphQLData("tagsRemove", _ => new { tagsRemove = new { node = new { id = "gid://shopify/Product/9120347160904" }, userErrors = Array.Empty<object>() } });
        _app = await TestApp.StartAsync(s =>
        {
            ErasureScenario.Configure(s, _platform, Gone);
            ErasureScenario.Configure(s, _platform, Kept);
            // The erased store also runs low stock with a supplier (a purchase order) and sells out (an episode).
            s[$"Stores:{Gone}:Inventory:DefaultLowStockThreshold"] = "5";
            s[$"Stores:{Gone}:LowStock:GroupingWindow"] = "00:00:00";
            s[$"Stores:{Gone}:LowStock:Suppliers:acme:Name"] = "Acme Mugs";
            s[$"Stores:{Gone}:LowStock:Suppliers:acme:Email"] = "orders@acme.test";
            s[$"Stores:{Gone}:LowStock:Suppliers:acme:LeadTime"] = "7.00:00:00";
            s[$"Stores:{Gone}:LowStock:Suppliers:acme:MinimumOrderQuantity"] = "10";
            s[$"Stores:{Gone}:LowStock:Skus:MUG-BLUE:Supplier"] = "acme";
        });
    }

    [TearDown]
    public async Task TearDown()
    {
        await _app.DisposeAsync();
        await _platform.DisposeAsync();
    }

    [Test]
    public async Task ShopRedact_LeavesNothingOfTheStore_AndAnotherStoreKeepsEverything()
    {
        var gone = new ErasureScenario(_app, Gone, "hedda.vantongeren@example.test", "Hedda", "Vantongeren");
        var kept = new ErasureScenario(_app, Kept, "hedda.vantongeren@example.test", "Hedda", "Vantongeren");
        await gone.SeedAsync();
        await kept.SeedAsync();
        await LowThenSoldOutAsync();
        await LargeDeliveryAsync();
        await ErasureScenario.QuietAsync();
        var keptBefore = await WhatIsLeftOfAsync(Kept);
        Assert.That(await WhatIsLeftOfAsync(Gone), Has.Some.StartsWith($"table {InventoryView.Table} ").And.Some.StartsWith($"table {SalesHistory.Table} ")
            .And.Some.StartsWith($"table {SoldOutEpisodes.Table} ").And.Some.StartsWith($"table {PurchaseOrders.Table} ").And.Some.StartsWith("blob webhook-bodies/")
            .And.Some.StartsWith("blob return-labels/").And.Some.Contains("History"));

        var response = await _app.Http.SendAsync(Deliveries.Shopify(ErasureScenario.DomainOf(Gone), "shop/redact", Deliveries.Fixture("shopify/shop.redact.json"), ErasureScenario.SecretOf(Gone)));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        List<string> left;
        while ((left = await WhatIsLeftOfAsync(Gone)).Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(90)) await Task.Delay(250);
        Assert.That(left, Is.Empty, "what is left of the store");
        Assert.That(await WhatIsLeftOfAsync(Kept), Is.EquivalentTo(keptBefore), "the other store's data is untouched");
        var record = (await Azurite.Table(TableNames.ComplianceRequests).GetEntityAsync<TableEntity>(Gone, "shop-redact:shop")).Value;
        Assert.That(record.GetString("Type"), Is.EqualTo(nameof(ShopRedactRequested)), "the redaction itself is recorded");
    }

    /// <summary>
    /// MUG-BLUE sells fast, is restocked, runs low (a purchase order to its supplier) and sells out (the out-of-stock
    /// automation tags the product and records the episode).
    /// </summary>
    private async Task LowThenSoldOutAsync()
    {
        var publisher = _app.Services.GetRequiredService<EventPublisher>();
        var at = DateTimeOffset.UtcNow;
        await publisher.PublishAsync(new OrderPlaced
        {
            Id = "order-placed:fast-seller",
            StoreId = Gone,
            OccurredAt = at.AddDays(-1),
            OrderId = 7001,
            Currency = "EUR",
            LineItems = [new LineItem(1, 48201930047816, "MUG-BLUE", "Ceramic mug", 56, 29.95m)],
        }, CancellationToken.None);
        foreach (var (available, step, what) in new[] { (20, 1, "restocked"), (3, 2, "low"), (0, 3, "sold out") })
        {
            await publisher.PublishAsync(new InventoryLevelChanged
            {
                Id = $"level-{step}",
                StoreId = Gone,
                OccurredAt = at.AddSeconds(step),
                VariantId = 48201930047816,
                ProductId = 9120347160904,
                Sku = "MUG-BLUE",
                LocationId = "default",
                Available = available,
            }, CancellationToken.None);
            await Eventually.Until(async () =>
                (await Azurite.Table(InventoryView.Table).GetEntityAsync<TableEntity>(Gone, "48201930047816")).Value is var row
                && VariantStock.FromEntity(row).Available([]) == available && row.GetString("Pending") is null, TimeSpan.FromSeconds(20), $"MUG-BLUE {what}");
            if (what == "low") await Eventually.Until(async () => await RowsAsync(PurchaseOrders.Table, Gone) > 0, TimeSpan.FromSeconds(20), "the supplier's purchase order");
        }

        await Eventually.Until(async () => await RowsAsync(SoldOutEpisodes.Table, Gone) > 0, TimeSpan.FromSeconds(20), "the sold-out episode");
    }

    /// <summary>A delivery too large for a queue message: its body waits in blob storage.</summary>
    private async Task LargeDeliveryAsync()
    {
        var body = $$"""{"id": 1, "pad": "{{new string('x', 60 * 1024)}}"}""";
        await _app.Http.SendAsync(Deliveries.Shopify(ErasureScenario.DomainOf(Gone), "collections/update", body, ErasureScenario.SecretOf(Gone)));
        await Eventually.Until(async () => (await WhatIsLeftOfAsync(Gone)).Any(f => f.StartsWith("blob webhook-bodies/", StringComparison.Ordinal)), TimeSpan.FromSeconds(20), "the large body in blob storage");
    }

    private static async Task<int> RowsAsync(string table, string partition)
    {
        try
        {
            return await Azurite.Table(table).QueryAsync<TableEntity>(Automation.Retention.DayIndex.DataRows(partition)).CountAsync();
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            return 0; // not made yet
        }
    }

    /// <summary>
    /// Every row, blob and orchestration of the store: rows in its partition or its variant partitions
    /// (<c>{store}|…</c>), Durable rows and blobs of its flows' instances, blobs in its folder — but the record of its
    /// redaction (and that record's day-index row).
    /// </summary>
    private static async Task<List<string>> WhatIsLeftOfAsync(string store)
    {
        var flows = new Regex($"^(ac-{store}-[0-9a-f]{{32}}|return-{store}-RMA-[0-9A-Z]{{8}}|waitlist-{store}-\\d+-\\d+)($|[/|_])");
        var left = new List<string>();
        var tables = new TableServiceClient(Azurite.ConnectionString);
        await foreach (var table in tables.QueryAsync())
        {
            await foreach (var row in tables.GetTableClient(table.Name).QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
            {
                var ours = row.PartitionKey == store || row.PartitionKey.StartsWith(store + "|", StringComparison.Ordinal) || flows.IsMatch(row.PartitionKey);
                var record = table.Name == TableNames.ComplianceRequests && row.RowKey.EndsWith("shop-redact:" + store, StringComparison.Ordinal);
                if (ours && !record) left.Add($"table {table.Name} row {row.PartitionKey}/{row.RowKey}");
            }
        }

        var blobs = new BlobServiceClient(Azurite.ConnectionString);
        await foreach (var container in blobs.GetBlobContainersAsync())
        {
            await foreach (var blob in blobs.GetBlobContainerClient(container.Name).GetBlobsAsync())
            {
                if (blob.Name.StartsWith(store + "/", StringComparison.Ordinal) || flows.IsMatch(blob.Name)) left.Add($"blob {container.Name}/{blob.Name}");
            }
        }

        return left;
    }
}
