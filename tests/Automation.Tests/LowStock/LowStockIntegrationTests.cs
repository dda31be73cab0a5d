using System.Net;
using System.Text;
using Automation.LowStock;
using Automation.Stores;
using Automation.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using static Automation.Tests.Inventory.StockTestKit;

namespace Automation.Tests.LowStock;

[NonParallelizable]
public sealed class LowStockIntegrationTests
{
    private FakePlatform _fake = null!;
    private TestApp _app = null!;

    [SetUp]
    public async Task SetUp()
    {
        await MailSink.ClearAsync();
        _fake = await StartTaggingPlatformAsync();
        _fake.On("POST", "/hooks/slack", _ => new FakeResponse(200, "ok"));
        _app = await TestApp.StartAsync(s =>
        {
            ShopifyStore(s, _fake);
            s["Stores:s1:TimeZone"] = "America/New_York";
            s["Stores:s1:LowStock:SlackWebhookUrl"] = new Uri(_fake.BaseAddress, "hooks/slack").ToString();
            s["Stores:s1:Inventory:DefaultLowStockThreshold"] = "5";
            s["Stores:s1:LowStock:OpsContacts:0"] = "ops@shop.test";
            s["Stores:s1:LowStock:GroupingWindow"] = "00:00:00";
            s["Stores:s1:LowStock:DaysOfCover"] = "14.00:00:00";
            s["Stores:s1:LowStock:Suppliers:acme:Name"] = "Acme Mugs";
            s["Stores:s1:LowStock:Suppliers:acme:Email"] = "orders@acme.test";
            s["Stores:s1:LowStock:Suppliers:acme:LeadTime"] = "7.00:00:00";
            s["Stores:s1:LowStock:Suppliers:acme:MinimumOrderQuantity"] = "10";
            s["Stores:s1:LowStock:Suppliers:acme:PackSize"] = "6";
            s["Stores:s1:LowStock:Skus:MUG-BLUE:Supplier"] = "acme";
            s["Stores:s1:LowStock:Skus:MUG-RED:Supplier"] = "acme";
        });
        await _app.PublishAsync(Product("s1", 100, "Mug", Variant(11, "MUG-BLUE", 20), Variant(12, "MUG-RED", 20)));
        // 28 units sold over the 28-day velocity window: one a day.
        await _app.PublishAsync(Order("s1", 5001, 11, "MUG-BLUE", 28));
        await _app.PublishAsync(Order("s1", 5002, 12, "MUG-RED", 28));
        await SettledAsync("s1", 11, 20);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _app.DisposeAsync();
        await _fake.DisposeAsync();
    }

    [Test]
    public async Task CrossingBelowThenFurtherDrops_OneAlertOneTagOnePurchaseOrder()
    {
        var minute = 1;
        foreach (var level in new[] { 8, 4, 3, 3, 2 }) await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", level, minute++));
        await SettledAsync("s1", 11, 2);
        var order = (await MailSink.WaitForAsync(m => m.ToAddress == "orders@acme.test")).Single();

        var alerts = (await MailSink.AllAsync()).Where(m => m.ToAddress == "ops@shop.test").ToList();
        Assert.That(alerts, Has.Count.EqualTo(1));
        Assert.That(alerts[0].Subject, Does.Contain("Low stock").And.Contain("MUG-BLUE").Or.Contain("Mug"));
        var slack = _fake.Requests.Where(r => r.Path == "/hooks/slack").ToList();
        Assert.That(slack, Has.Count.EqualTo(1));
        Assert.That(slack[0].Json.GetProperty("text").GetString(), Does.Contain("MUG-BLUE").And.Contain("left (threshold 5)"), "the events arrive concurrently: the crossing is at whichever low level came first");
        var tagCalls = _fake.GraphQLRequests("tagsAdd");
        Assert.That(tagCalls, Has.Count.EqualTo(1));
        Assert.That(tagCalls[0].Variables.GetProperty("id").GetString(), Is.EqualTo("gid://shopify/Product/100"));
        Assert.That(tagCalls[0].Variables.GetProperty("tags")[0].GetString(), Is.EqualTo("low stock"));

        // 1/day × (7 lead + 14 cover) = 21 − on hand at the crossing (over the minimum 10) → whole packs of 6 (18 for 3 left, 24 for 2).
        var onHand = int.Parse(System.Text.RegularExpressions.Regex.Match(alerts[0].Subject, @"\((\d+) left\)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var expected = (Math.Max(21 - onHand, 10) + 5) / 6 * 6;
        Assert.That(order.Attachments.Select(a => a.FileName).Single(), Does.EndWith(".csv"));
        var csv = await AttachmentTextAsync(order, ".csv");
        Assert.That(csv, Does.StartWith("po_number,sku,description,quantity"));
        Assert.That(csv, Does.Contain(",MUG-BLUE,").And.Contain($",{expected}\r\n"));
        Assert.That(order.Html, Does.Contain("MUG-BLUE").And.Contain("Acme Mugs"));
    }

    [Test]
    public async Task RecoveryAfterLow_RemovesTag()
    {
        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 3, 1));
        await SettledAsync("s1", 11, 3);
        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 30, 2));
        await SettledAsync("s1", 11, 30);

        Assert.That(_fake.GraphQLRequests("tagsRemove"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task StaleLevelAfterNewer_IgnoredNoAlert()
    {
        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 15, 10));
        await SettledAsync("s1", 11, 15);

        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 1, 5));
        await _app.PublishAsync(Level("s1", 100, 12, "MUG-RED", 19, 11));
        await SettledAsync("s1", 12, 19);

        var row = await SettledAsync("s1", 11, 15);
        Assert.That(row.GetBoolean("Low"), Is.False);
        Assert.That((await MailSink.AllAsync()).Where(m => m.ToAddress == "ops@shop.test"), Is.Empty);
    }

    [Test]
    public async Task SecondCrossingWhileOrderOpen_NoSecondOrder_UntilReceived()
    {
        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 3, 1));
        var first = (await MailSink.WaitForAsync(m => m.ToAddress == "orders@acme.test")).Single();
        var poId = first.Subject.Split(' ')[2];

        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 30, 2));
        await SettledAsync("s1", 11, 30);
        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 2, 3));
        await SettledAsync("s1", 11, 2);
        await MailSink.WaitForAsync(m => m.ToAddress == "ops@shop.test", count: 2);
        Assert.That((await MailSink.AllAsync()).Count(m => m.ToAddress == "orders@acme.test"), Is.EqualTo(1), "one open order per SKU and supplier");

        var anonymous = await _app.Http.PostAsync($"api/stores/s1/purchase-orders/{poId}/received", null);
        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var received = await _app.Admin.PostAsync($"api/stores/s1/purchase-orders/{poId}/received", null);
        Assert.That(received.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var again = await _app.Admin.PostAsync($"api/stores/s1/purchase-orders/{poId}/cancelled", null);
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));

        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 40, 4));
        await SettledAsync("s1", 11, 40);
        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 1, 5));
        await MailSink.WaitForAsync(m => m.ToAddress == "orders@acme.test", count: 2);
    }

    [Test]
    public async Task TwoSkusOfOneSupplier_GroupedOnOneOrder()
    {
        await _app.DisposeAsync();
        _app = await TestApp.StartAsync(s =>
        {
            ShopifyStore(s, _fake);
            s["Stores:s1:LowStock:GroupingWindow"] = "00:00:10";
            s["Stores:s1:LowStock:Suppliers:acme:Email"] = "orders@acme.test";
            s["Stores:s1:LowStock:Skus:MUG-BLUE:Supplier"] = "acme";
            s["Stores:s1:LowStock:Skus:MUG-RED:Supplier"] = "acme";
        });
        await _app.PublishAsync(Product("s1", 100, "Mug", Variant(11, "MUG-BLUE", 20), Variant(12, "MUG-RED", 20)));
        await _app.PublishAsync(Order("s1", 5001, 11, "MUG-BLUE", 28));
        await _app.PublishAsync(Order("s1", 5002, 12, "MUG-RED", 28));
        await SettledAsync("s1", 12, 20);

        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 1, 1));
        await _app.PublishAsync(Level("s1", 100, 12, "MUG-RED", 2, 1));

        var order = (await MailSink.WaitForAsync(m => m.ToAddress == "orders@acme.test")).Single();
        var csv = await AttachmentTextAsync(order, ".csv");
        Assert.That(csv, Does.Contain("MUG-BLUE").And.Contain("MUG-RED"));
        var open = await _app.Admin.GetStringAsync("api/stores/s1/purchase-orders");
        Assert.That(open, Does.Contain("MUG-BLUE").And.Contain("MUG-RED"));
    }

    [Test]
    public async Task Digest_SentAtStoresLocalTimeOncePerDay()
    {
        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 2, 1));
        await SettledAsync("s1", 11, 2);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 20, 12, 55, 0, TimeSpan.Zero)); // 07:55 in New York (EST)
        using var scope = _app.Services.CreateScope();
        var digest = ActivatorUtilities.CreateInstance<SendLowStockDigest>(scope.ServiceProvider, time);
        var store = _app.Services.GetRequiredService<StoreRegistry>().Get("s1");

        Assert.That(await digest.RunForStoreAsync(store, CancellationToken.None), Is.Null, "not yet 08:00 local");
        time.Advance(TimeSpan.FromMinutes(10)); // 08:05 local
        Assert.That(await digest.RunForStoreAsync(store, CancellationToken.None), Is.EqualTo(new DateOnly(2026, 11, 20)));
        time.Advance(TimeSpan.FromHours(2));
        await digest.RunForStoreAsync(store, CancellationToken.None);

        var digests = await MailSink.WaitForAsync(m => m.Subject.StartsWith("Stock digest", StringComparison.Ordinal));
        Assert.That(digests, Has.Count.EqualTo(1));
        Assert.That(digests[0].Html, Does.Contain("MUG-BLUE"));
        Assert.That(digests[0].Html, Does.Contain("PO-"), "open purchase orders listed");
    }

    [Test]
    public async Task SupplierWithoutEmail_AppRefusesToStartNamingTheSetting()
    {
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
        {
            await using var app = await TestApp.StartAsync(s =>
            {
                ShopifyStore(s, _fake, "bad");
                s["Stores:bad:LowStock:Suppliers:acme:LeadTime"] = "7.00:00:00";
                s["Stores:bad:LowStock:Skus:MUG-BLUE:Supplier"] = "nobody";
            });
        });

        Assert.That(failure!.Message, Does.Contain("Stores:bad:LowStock:Suppliers:acme:Email").And.Contain("'nobody'"));
    }

    [TestCase("2026-11-20T12:59:00Z", null, TestName = "DueDate_BeforeLocalTimeInWinter_NotDue")]
    [TestCase("2026-11-20T13:00:00Z", "2026-11-20", TestName = "DueDate_AtLocalTimeInWinter_Due")]
    [TestCase("2026-07-01T12:00:00Z", "2026-07-01", TestName = "DueDate_SummerTime_DueAnHourEarlierInUtc")]
    [TestCase("2026-11-21T02:00:00Z", null, TestName = "DueDate_MoreThanTwelveHoursLate_Skipped")]
    public void DueDate_FollowsStoreTimeZone(string now, string? expected)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

        var due = SendLowStockDigest.DueDate(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), zone, TimeSpan.FromHours(8));

        Assert.That(due?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(expected));
    }
}
