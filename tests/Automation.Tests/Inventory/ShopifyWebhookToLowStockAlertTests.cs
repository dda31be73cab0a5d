using System.Net;
using System.Text.Json.Nodes;
using Automation.Tests.Infrastructure;
using static Automation.Tests.Inventory.StockTestKit;

namespace Automation.Tests.Inventory;

/// <summary>
/// From signed Shopify deliveries in the current API's shape (variants without <c>inventory_management</c>, removed in
/// 2024-07) to the merchant's low-stock alert: the whole path.
/// </summary>
[NonParallelizable]
public sealed class ShopifyWebhookToLowStockAlertTests
{
    private const long BlueVariant = 48201930047816;
    private FakePlatform _fake = null!;
    private TestApp _app = null!;

    [SetUp]
    public async Task SetUp()
    {
        await MailSink.ClearAsync();
        _fake = await StartTaggingPlatformAsync();
        _app = await TestApp.StartAsync(s =>
        {
            ShopifyStore(s, _fake);
            s["Stores:s1:Inventory:DefaultLowStockThreshold"] = "5";
            s["Stores:s1:LowStock:OpsContacts:0"] = "ops@s1.test";
        });
    }

    [TearDown]
    public async Task TearDown()
    {
        await _app.DisposeAsync();
        await _fake.DisposeAsync();
    }

    /// <summary>A current <c>products/update</c> with MUG-BLUE at <paramref name="blue"/> (MUG-GREEN well stocked), as of <paramref name="updatedAt"/>.</summary>
    private async Task DeliverProductAsync(int blue, string updatedAt)
    {
        var product = JsonNode.Parse(Deliveries.Fixture("shopify/products.update.2026-07.json"))!;
        product["updated_at"] = updatedAt;
        product["variants"]![0]!["inventory_quantity"] = blue;
        product["variants"]![1]!["inventory_quantity"] = 40;
        await DeliverAsync("products/update", product.ToJsonString());
    }

    private async Task DeliverLevelAsync(int available, string updatedAt)
    {
        var level = JsonNode.Parse(Deliveries.Fixture("shopify/inventory_levels.update.2026-07.json"))!;
        level["available"] = available;
        level["updated_at"] = updatedAt;
        await DeliverAsync("inventory_levels/update", level.ToJsonString());
    }

    private async Task DeliverAsync(string topic, string body)
    {
        var response = await _app.Http.SendAsync(Deliveries.Shopify("s1.myshopify.com", topic, body, "secret"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    private static bool IsBlueAlert(ReceivedEmail m) =>
        m.ToAddress == "ops@s1.test" && m.Text?.Contains("SKU MUG-BLUE", StringComparison.Ordinal) == true;

    private static async Task<List<ReceivedEmail>> BlueAlertsAsync() =>
        [.. (await MailSink.AllAsync()).Where(m => IsBlueAlert(m))];

    [Test]
    public async Task CurrentProductThenLevelBelowThreshold_AlertEmail_LaterProductPayloadKeepsItTracked()
    {
        await DeliverProductAsync(12, "2026-11-20T10:59:00+01:00");
        await SettledAsync("s1", BlueVariant, 12);

        await DeliverLevelAsync(3, "2026-11-20T11:00:00+01:00");
        await SettledAsync("s1", BlueVariant, 3);
        var alert = (await MailSink.WaitForAsync(m => IsBlueAlert(m))).Single();
        Assert.That(alert.Subject, Is.EqualTo("Low stock: Ceramic mug – Blue (3 left)"));
        Assert.That(alert.Text, Does.Contain("threshold 5"));

        // Shopify sends products/update for the same sale: the variant stays tracked and low, and nobody is told twice.
        await DeliverProductAsync(3, "2026-11-20T11:00:05+01:00");
        var row = await SettledAsync("s1", BlueVariant, 3);
        Assert.That(row.GetBoolean("ManagesStock"), Is.True);
        Assert.That(row.GetBoolean("Low"), Is.True);
        Assert.That(await BlueAlertsAsync(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task CurrentProductPayloadsOnly_StockFallsBelowThreshold_AlertEmail()
    {
        await DeliverProductAsync(12, "2026-11-20T10:59:00+01:00");
        await SettledAsync("s1", BlueVariant, 12);

        await DeliverProductAsync(2, "2026-11-20T11:10:00+01:00");
        await SettledAsync("s1", BlueVariant, 2);

        var alert = (await MailSink.WaitForAsync(m => IsBlueAlert(m))).Single();
        Assert.That(alert.Subject, Does.Contain("2 left"));
    }
}
