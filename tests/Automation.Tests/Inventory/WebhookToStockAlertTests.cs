using System.Net;
using System.Text.Json.Nodes;
using Automation.Tests.Infrastructure;
using static Automation.Tests.Inventory.StockTestKit;

namespace Automation.Tests.Inventory;

/// <summary>From a signed WooCommerce <c>product.updated</c> delivery to the merchant's alert: the whole path.</summary>
[NonParallelizable]
public sealed class WebhookToStockAlertTests
{
    private const string Source = "https://w1.example.test/";
    private FakePlatform _fake = null!;
    private TestApp _app = null!;

    [SetUp]
    public async Task SetUp()
    {
        await MailSink.ClearAsync();
        _fake = await FakePlatform.StartAsync();
        _fake.On("GET", "/wp-json/wc/v3/products/93", _ => FakeResponse.Json(new { id = 93, tags = Array.Empty<object>() }));
        _fake.On("PUT", "/wp-json/wc/v3/products/93", r => FakeResponse.Json(new { id = 93 }));
        _fake.On("GET", "/wp-json/wc/v3/products/tags", _ => FakeResponse.Json(new[] { new { id = 5, name = "low stock" } }));
        _app = await TestApp.StartAsync(s =>
        {
            WooStore(s, _fake);
            s["Stores:w1:LowStock:OpsContacts:0"] = "ops@w1.test";
        });
    }

    [TearDown]
    public async Task TearDown()
    {
        await _app.DisposeAsync();
        await _fake.DisposeAsync();
    }

    private async Task DeliverAsync(int quantity, string modifiedGmt, int? lowStockAmount = 4)
    {
        var product = JsonNode.Parse(Deliveries.Fixture("woocommerce/product.updated.simple.json"))!;
        product["stock_quantity"] = quantity;
        product["stock_status"] = quantity > 0 ? "instock" : "outofstock";
        product["backorders"] = "no";
        product["low_stock_amount"] = lowStockAmount;
        product["date_modified_gmt"] = modifiedGmt;
        var response = await _app.Http.SendAsync(Deliveries.WooCommerce(Source, "product.updated", product.ToJsonString(), WebhookSecret));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task WooStockFallsBelowItsLowStockAmount_AlertAndTag_StaleDeliveryChangesNothing()
    {
        await DeliverAsync(12, "2026-11-20T12:00:00");
        await SettledAsync("w1", 93, 12);

        await DeliverAsync(3, "2026-11-20T12:10:00");
        await SettledAsync("w1", 93, 3);
        var alert = (await MailSink.WaitForAsync(m => m.ToAddress == "ops@w1.test")).Single();
        Assert.That(alert.Subject, Does.Contain("3 left"));
        Assert.That(alert.Text, Does.Contain("threshold 4"), "Woo's low_stock_amount is the threshold");
        var tagged = _fake.Requests.Single(r => r.Method == "PUT" && r.Path == "/wp-json/wc/v3/products/93");
        Assert.That(tagged.Json.GetProperty("tags")[0].GetProperty("id").GetInt32(), Is.EqualTo(5));

        // An older state arriving late: refused at translation, and the view would refuse it too.
        await DeliverAsync(40, "2026-11-20T12:05:00");
        await DeliverAsync(2, "2026-11-20T12:20:00");
        var row = await SettledAsync("w1", 93, 2);

        Assert.That(row.GetBoolean("Low"), Is.True);
        Assert.That((await MailSink.AllAsync()).Count(m => m.ToAddress == "ops@w1.test"), Is.EqualTo(1), "one alert for one crossing");
    }
}
