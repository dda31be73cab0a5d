using System.Text.Json;
using Automation.Tests.Infrastructure;
using static Automation.Tests.Inventory.StockTestKit;

namespace Automation.Tests.OutOfStock;

[NonParallelizable]
public sealed class OutOfStockIntegrationTests
{
    private FakePlatform _fake = null!;
    private TestApp _app = null!;
    private string _shopifyStatus = "ACTIVE";
    private readonly Dictionary<string, Dictionary<string, object?>> _wooProducts = [];

    [SetUp]
    public async Task SetUp()
    {
        await MailSink.ClearAsync();
        _fake = await StartTaggingPlatformAsync();
        _fake.OnGraphQLData("productStatus", v => new { product = new { id = v.GetProperty("id").GetString(), status = _shopifyStatus } });
        _fake.OnGraphQLData("productUpdate", v =>
        {
            _shopifyStatus = v.GetProperty("product").GetProperty("status").GetString()!;
            return new { productUpdate = new { product = new { id = "gid://shopify/Product/100", status = _shopifyStatus }, userErrors = Array.Empty<object>() } };
        });
        _fake.OnGraphQLData("productVariantsBulkUpdate", _ => new { productVariantsBulkUpdate = new { productVariants = Array.Empty<object>(), userErrors = Array.Empty<object>() } });

        // WooCommerce products as a tiny in-memory store: GET returns the fields, PUT merges the body.
        _fake.On("GET", "/wp-json/wc/v3/products/*", r => _wooProducts.TryGetValue(r.Path, out var p) ? FakeResponse.Json(p) : new FakeResponse(404, new { code = "woocommerce_rest_product_invalid_id" }));
        _fake.On("PUT", "/wp-json/wc/v3/products/*", r =>
        {
            var product = _wooProducts[r.Path];
            foreach (var field in r.Json.EnumerateObject()) product[field.Name] = field.Value.Clone();
            if (r.Json.TryGetProperty("tags", out var tags))
            {
                // As WooCommerce answers: each tag with its id, name and slug.
                product["tags"] = JsonSerializer.SerializeToElement(tags.EnumerateArray().Select(t => new { id = t.GetProperty("id").GetInt32(), name = t.GetProperty("id").GetInt32() == 7 ? "sold out" : "other", slug = "x" }).ToArray());
            }

            return FakeResponse.Json(product);
        });
        _fake.On("GET", "/wp-json/wc/v3/products/tags", _ => FakeResponse.Json(new[] { new { id = 7, name = "sold out" } }));
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_app is not null) await _app.DisposeAsync(); // null when a test failed before starting it
        await _fake.DisposeAsync();
    }

    /// <summary>Starts the app with low stock switched off, so only this automation touches the storefront.</summary>
    private async Task StartAsync(Action<Dictionary<string, string?>> store) => _app = await TestApp.StartAsync(s =>
    {
        s["Inventory:DefaultLowStockThreshold"] = "-1";
        store(s);
    });

    [Test]
    public async Task RestockArrivingWhileTheSellOutIsStillBeingActedOn_WaitsAndThenReversesIt()
    {
        await StartAsync(s =>
        {
            ShopifyStore(s, _fake);
            s["Stores:s1:OutOfStock:MarketingContacts:0"] = "marketing@shop.test";
            // A failed attempt comes back after a second (the app's default is ten).
            s["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:01";
        });
        await _app.PublishAsync(Product("s1", 100, "Mug", Variant(11, "MUG-BLUE", 3)));
        await SettledAsync("s1", 11, 3);

        // The platform is slow to tag the sold-out product; meanwhile the restock arrives.
        using var platformSlow = new ManualResetEventSlim(false);
        _fake.OnGraphQL("tagsAdd", _ =>
        {
            platformSlow.Wait(TimeSpan.FromSeconds(30));
            return FakeResponse.Json(new { data = new { tagsAdd = new { node = new { id = "gid://shopify/Product/100" }, userErrors = Array.Empty<object>() } } });
        });
        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 0, 1));
        await Eventually.Until(() => _fake.GraphQLRequests("tagsAdd").Count == 1, TimeSpan.FromSeconds(15), "the sell-out to be tagging");
        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 5, 2));
        await Eventually.Until(async () =>
        {
            var row = await Azurite.Table(Automation.Inventory.InventoryView.Table).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("s1", "11");
            return row.HasValue && Automation.Inventory.VariantStock.FromEntity(row.Value!).Available([]) == 5;
        }, TimeSpan.FromSeconds(15), "the restock to be recorded while the sell-out is still in progress");
        platformSlow.Set();

        await MailSink.WaitForAsync(m => m.ToAddress == "marketing@shop.test" && m.Subject.Contains("pause ads", StringComparison.Ordinal));
        await MailSink.WaitForAsync(m => m.ToAddress == "marketing@shop.test" && m.Subject.Contains("ads can resume", StringComparison.Ordinal));
        await Eventually.Until(() => _fake.GraphQLRequests("tagsRemove").Count == 1, TimeSpan.FromSeconds(15), "the sold-out tag to be removed");
    }

    [Test]
    public async Task ShopifyAllVariantsSoldOut_DraftedTaggedMarketingToldThenRestockReversesIt()
    {
        await StartAsync(s =>
        {
            ShopifyStore(s, _fake);
            s["Stores:s1:OutOfStock:HideWhenAllSoldOut"] = "true";
            s["Stores:s1:OutOfStock:MarketingContacts:0"] = "marketing@shop.test";
        });
        await _app.PublishAsync(Product("s1", 100, "Mug", Variant(11, "MUG-BLUE", 3), Variant(12, "MUG-RED", 0)));
        await SettledAsync("s1", 11, 3);
        Assert.That(_fake.GraphQLRequests("productUpdate"), Is.Empty, "one variant still sells");

        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 0, 1));
        await SettledAsync("s1", 11, 0);

        var draft = _fake.GraphQLRequests("productUpdate").Single();
        Assert.That(draft.Variables.GetProperty("product").GetProperty("status").GetString(), Is.EqualTo("DRAFT"));
        Assert.That(_fake.GraphQLRequests("tagsAdd").Select(r => r.Variables.GetProperty("tags")[0].GetString()), Has.Member("sold out"));
        Assert.That(_fake.GraphQLRequests("productVariantsBulkUpdate"), Is.Empty, "DENY variants already stop selling");
        await MailSink.WaitForAsync(m => m.ToAddress == "marketing@shop.test" && m.Subject.Contains("MUG-BLUE", StringComparison.Ordinal) && m.Subject.Contains("pause ads", StringComparison.Ordinal));

        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 12, 2));
        await SettledAsync("s1", 11, 12);

        Assert.That(_fake.GraphQLRequests("productUpdate").Select(r => r.Variables.GetProperty("product").GetProperty("status").GetString()), Is.EqualTo(new[] { "DRAFT", "ACTIVE" }));
        Assert.That(_shopifyStatus, Is.EqualTo("ACTIVE"));
        await MailSink.WaitForAsync(m => m.ToAddress == "marketing@shop.test" && m.Subject.Contains("ads can resume", StringComparison.Ordinal));
        // MUG-RED is still sold out: the product keeps its "sold out" tag.
        Assert.That(_fake.GraphQLRequests("tagsRemove"), Is.Empty);
    }

    [Test]
    public async Task ShopifyBackorderableVariant_LeftAsMerchantConfigured()
    {
        await StartAsync(s =>
        {
            ShopifyStore(s, _fake);
            s["Stores:s1:OutOfStock:HideWhenAllSoldOut"] = "true";
            s["Stores:s1:OutOfStock:MarketingContacts:0"] = "marketing@shop.test";
        });
        await _app.PublishAsync(Product("s1", 100, "Preorder mug", Variant(11, "MUG-PRE", 2, sellsWhenOut: true)));
        await SettledAsync("s1", 11, 2);

        await _app.PublishAsync(Level("s1", 100, 11, "MUG-PRE", 0, 1, sellsWhenOut: true));
        var row = await SettledAsync("s1", 11, 0);

        Assert.That(row.GetBoolean("SoldOut"), Is.True);
        Assert.That(_fake.Requests.Where(r => r.Path.EndsWith("/graphql.json", StringComparison.Ordinal)), Is.Empty, "no storefront change");
        Assert.That((await MailSink.AllAsync()).Where(m => m.ToAddress == "marketing@shop.test"), Is.Empty);
    }

    [Test]
    public async Task ShopifyStopSellingChosen_DenyThenContinueRestored()
    {
        await StartAsync(s =>
        {
            ShopifyStore(s, _fake);
            s["Stores:s1:OutOfStock:StopSellingBackorderable"] = "true";
            s["Stores:s1:OutOfStock:Tag"] = "";
        });
        await _app.PublishAsync(Product("s1", 100, "Mug", Variant(11, "MUG-BLUE", 2, sellsWhenOut: true)));
        await SettledAsync("s1", 11, 2);

        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 0, 1, sellsWhenOut: true));
        await SettledAsync("s1", 11, 0);
        await _app.PublishAsync(Level("s1", 100, 11, "MUG-BLUE", 5, 2));
        await SettledAsync("s1", 11, 5);

        var policies = _fake.GraphQLRequests("productVariantsBulkUpdate").Select(r => r.Variables.GetProperty("variants")[0].GetProperty("inventoryPolicy").GetString());
        Assert.That(policies, Is.EqualTo(new[] { "DENY", "CONTINUE" }));
        Assert.That(_fake.GraphQLRequests("tags"), Is.Empty, "tag switched off");
    }

    [Test]
    public async Task WooVariationSoldOut_BackordersOffAndHidden_RestockPutsBackPreviousValues()
    {
        _wooProducts["/wp-json/wc/v3/products/200"] = new() { ["id"] = 200, ["catalog_visibility"] = "catalog", ["tags"] = Array.Empty<object>() };
        _wooProducts["/wp-json/wc/v3/products/200/variations/201"] = new() { ["id"] = 201, ["backorders"] = "notify", ["stock_status"] = "onbackorder" };
        await StartAsync(s =>
        {
            WooStore(s, _fake);
            s["Stores:w1:OutOfStock:StopSellingBackorderable"] = "true";
            s["Stores:w1:OutOfStock:HideWhenAllSoldOut"] = "true";
        });
        await _app.PublishAsync(Level("w1", 200, 201, "TEE-S", 4, 0, sellsWhenOut: true));
        await SettledAsync("w1", 201, 4);

        await _app.PublishAsync(Level("w1", 200, 201, "TEE-S", 0, 1, sellsWhenOut: true));
        await SettledAsync("w1", 201, 0);

        Assert.That(Field("/wp-json/wc/v3/products/200/variations/201", "backorders"), Is.EqualTo("no"));
        Assert.That(Field("/wp-json/wc/v3/products/200/variations/201", "stock_status"), Is.EqualTo("outofstock"));
        Assert.That(Field("/wp-json/wc/v3/products/200", "catalog_visibility"), Is.EqualTo("hidden"));
        var tagPut = _fake.Requests.Single(r => r.Method == "PUT" && r.Path == "/wp-json/wc/v3/products/200" && r.Body.Contains("tags", StringComparison.Ordinal));
        Assert.That(tagPut.Json.GetProperty("tags")[0].GetProperty("id").GetInt32(), Is.EqualTo(7));

        await _app.PublishAsync(Level("w1", 200, 201, "TEE-S", 6, 2, sellsWhenOut: true));
        await SettledAsync("w1", 201, 6);

        Assert.That(Field("/wp-json/wc/v3/products/200/variations/201", "backorders"), Is.EqualTo("notify"));
        Assert.That(Field("/wp-json/wc/v3/products/200", "catalog_visibility"), Is.EqualTo("catalog"), "the merchant's own value, not 'visible'");
        Assert.That(_wooProducts["/wp-json/wc/v3/products/200"]["tags"] is JsonElement { ValueKind: JsonValueKind.Array } tags && tags.GetArrayLength() == 0, Is.True, "sold-out tag removed");
    }

    private string? Field(string path, string name) => _wooProducts[path][name] switch
    {
        JsonElement element => element.GetString(),
        var value => value as string,
    };
}
