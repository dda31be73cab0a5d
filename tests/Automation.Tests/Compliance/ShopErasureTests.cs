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
        _app = await TestApp.StartAsync(s =>
        {
            ErasureScenario.Configure(s, _platform, Gone);
            ErasureScenario.Configure(s, _platform, Kept);
                // The erased store also runs low stock with a supplier (a purchase order) and sells out (an episode).
            ErasureScenario.ConfigureStock(s, Gone);
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
        await gone.LowThenSoldOutAsync();
        await gone.LargeDeliveryAsync();
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
