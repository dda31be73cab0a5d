using System.Collections.Concurrent;
using Automation.Inventory;
using Automation.Platforms;
using Automation.Shopify;
using Automation.Tests.Infrastructure;
using Automation.WooCommerce;
using static Automation.Tests.Platforms.PlatformTestKit;

namespace Automation.Tests.Platforms;

/// <summary>
/// The stock automations' storefront writes (tags, stop selling, hide) when the platform makes the change but its
/// answer comes too late: the change is read back, and made again only if it is not there.
/// </summary>
[NonParallelizable]
public sealed class LostAnswerStorefrontTests
{
    private static readonly TimeSpan TooLate = TimeSpan.FromSeconds(2);

    private FakePlatform _platform = null!;
    private ServiceProvider _services = null!;

    [SetUp]
    public async Task Start()
    {
        _platform = await FakePlatform.StartAsync();
        _services = Services(s => s["Platforms:AttemptTimeout"] = "00:00:00.500");
    }

    [TearDown]
    public async Task Stop()
    {
        await _services.DisposeAsync();
        await _platform.DisposeAsync();
    }

    private PlatformStorefront Storefront() => new(_services.GetRequiredService<ShopifyAdminClient>(), _services.GetRequiredService<WooCommerceClient>());

    [Test]
    public async Task ShopifyTagAddedButAnsweredTooLate_ReadBack_NotAddedAgain()
    {
        var tags = new ConcurrentDictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
        _platform
            .OnGraphQL("mutation tagsAdd", r =>
            {
                foreach (var tag in r.Variables.GetProperty("tags").EnumerateArray()) tags[tag.GetString()!] = true;
                return FakeResponse.Json(ShopifyData(new { tagsAdd = new { node = new { id = "gid://shopify/Product/8001" }, userErrors = Array.Empty<object>() } })) with { Delay = TooLate };
            })
            .OnGraphQL("query productTags", _ => FakeResponse.Json(ShopifyData(new { product = new { id = "gid://shopify/Product/8001", tags = tags.Keys.Prepend("mugs").ToArray() } })));

        await Storefront().AddTagAsync(ShopifyStore(_platform), 8001, "sold out", CancellationToken.None);

        Assert.That(_platform.GraphQLRequests("mutation tagsAdd"), Has.Count.EqualTo(1));
        Assert.That(_platform.GraphQLRequests("query productTags"), Has.Count.EqualTo(1));
        Assert.That(tags.Keys, Is.EqualTo(new[] { "sold out" }));
    }

    [Test]
    public async Task ShopifyTagNotThereAfterALostAnswer_IsAddedOnce()
    {
        // The first call timed out before Shopify did anything: the read-back shows no tag, so it is asked once more.
        var calls = 0;
        _platform
            .OnGraphQL("mutation tagsAdd", _ => Interlocked.Increment(ref calls) == 1
                ? new FakeResponse(504, "<html>Gateway timeout</html>")
                : FakeResponse.Json(ShopifyData(new { tagsAdd = new { node = new { id = "gid://shopify/Product/8001" }, userErrors = Array.Empty<object>() } })))
            .OnGraphQL("query productTags", _ => FakeResponse.Json(ShopifyData(new { product = new { id = "gid://shopify/Product/8001", tags = new[] { "mugs" } } })));

        await Storefront().AddTagAsync(ShopifyStore(_platform), 8001, "sold out", CancellationToken.None);

        Assert.That(_platform.GraphQLRequests("mutation tagsAdd"), Has.Count.EqualTo(2));
        Assert.That(_platform.GraphQLRequests("query productTags"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task ShopifyHideAnsweredTooLate_StatusReadBack_NotSetAgain()
    {
        var status = "ACTIVE";
        _platform
            .OnGraphQL("mutation productUpdate", r =>
            {
                status = r.Variables.GetProperty("product").GetProperty("status").GetString()!;
                return FakeResponse.Json(ShopifyData(new { productUpdate = new { product = new { id = "gid://shopify/Product/8001", status }, userErrors = Array.Empty<object>() } })) with { Delay = TooLate };
            })
            .OnGraphQL("query productStatus", _ => FakeResponse.Json(ShopifyData(new { product = new { id = "gid://shopify/Product/8001", status } })));
        var storefront = Storefront();
        var store = ShopifyStore(_platform);

        var hide = (await storefront.PlanHideProductAsync(store, 8001, CancellationToken.None))!;
        await storefront.ApplyAsync(store, hide, CancellationToken.None);

        Assert.That(status, Is.EqualTo("DRAFT"));
        Assert.That(_platform.GraphQLRequests("mutation productUpdate"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task ShopifyStopSellingAnsweredTooLate_PolicyReadBack_NotSetAgain()
    {
        var policy = "CONTINUE";
        _platform
            .OnGraphQL("mutation productVariantsBulkUpdate", r =>
            {
                policy = r.Variables.GetProperty("variants")[0].GetProperty("inventoryPolicy").GetString()!;
                return FakeResponse.Json(ShopifyData(new { productVariantsBulkUpdate = new { productVariants = new[] { new { id = "gid://shopify/ProductVariant/8101", inventoryPolicy = policy } }, userErrors = Array.Empty<object>() } })) with { Delay = TooLate };
            })
            .OnGraphQL("query variantPolicy", _ => FakeResponse.Json(ShopifyData(new { productVariant = new { id = "gid://shopify/ProductVariant/8101", inventoryPolicy = policy } })));

        await Storefront().ApplyAsync(ShopifyStore(_platform), new StorefrontChange("inventoryPolicy", 8001, 8101, "CONTINUE", "DENY"), CancellationToken.None);

        Assert.That(policy, Is.EqualTo("DENY"));
        Assert.That(_platform.GraphQLRequests("mutation productVariantsBulkUpdate"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task WooTagAndHideAnsweredTooLate_ProductReadBack_EachPutOnce()
    {
        var product = new ConcurrentDictionary<string, object>
        {
            ["catalog_visibility"] = "visible",
            ["tags"] = new[] { new { id = 3, name = "Mugs", slug = "mugs" } },
        };
        _platform
            .On("GET", "/wp-json/wc/v3/products/93", _ => FakeResponse.Json(new Dictionary<string, object>(product) { ["id"] = 93 }))
            .On("GET", "/wp-json/wc/v3/products/tags", _ => FakeResponse.Json(new[] { new { id = 12, name = "sold out", slug = "sold-out" } }))
            .On("PUT", "/wp-json/wc/v3/products/93", r =>
            {
                var body = r.Json;
                if (body.TryGetProperty("catalog_visibility", out var visibility)) product["catalog_visibility"] = visibility.GetString()!;
                if (body.TryGetProperty("tags", out var tags))
                    product["tags"] = tags.EnumerateArray().Select(t => t.GetProperty("id").GetInt64() == 12 ? new { id = 12, name = "sold out", slug = "sold-out" } : new { id = 3, name = "Mugs", slug = "mugs" }).ToArray();
                return FakeResponse.Json(new { id = 93 }) with { Delay = TooLate };
            });
        var storefront = Storefront();
        var store = WooStore(_platform);

        await storefront.AddTagAsync(store, 93, "sold out", CancellationToken.None);
        var hide = (await storefront.PlanHideProductAsync(store, 93, CancellationToken.None))!;
        await storefront.ApplyAsync(store, hide, CancellationToken.None);

        Assert.That(_platform.Requests.Count(r => r.Method == "PUT"), Is.EqualTo(2), "one for the tag, one for the visibility");
        Assert.That(product["catalog_visibility"], Is.EqualTo("hidden"));
        Assert.That(_platform.Requests.Single(r => r.Method == "PUT" && r.Json.TryGetProperty("tags", out _)).Json.GetProperty("tags").EnumerateArray().Select(t => t.GetProperty("id").GetInt64()), Is.EqualTo(new long[] { 3, 12 }));
    }

    [Test]
    public async Task SecondLostAnswerInARow_IsATransientFailureForTheCallersRetry()
    {
        // Neither try is answered in time and the read-back does not show the tag: the caller (the queue, Durable)
        // retries later, and its retry reads back first again.
        _platform
            .OnGraphQL("mutation tagsAdd", _ => new FakeResponse(503, new { errors = "Unavailable" }))
            .OnGraphQL("query productTags", _ => FakeResponse.Json(ShopifyData(new { product = new { id = "gid://shopify/Product/8001", tags = Array.Empty<string>() } })));

        var error = (await Assert.ThrowsAsync<PlatformException>(() => Storefront().AddTagAsync(ShopifyStore(_platform), 8001, "sold out", CancellationToken.None)))!;

        Assert.That((error.IsTransient, error.OutcomeUnknown), Is.EqualTo((true, true)));
        Assert.That(_platform.GraphQLRequests("mutation tagsAdd"), Has.Count.EqualTo(2));
    }
}
