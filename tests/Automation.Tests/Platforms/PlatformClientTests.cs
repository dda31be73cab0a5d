using System.Net;
using System.Text;
using Automation.Platforms;
using Automation.Shopify;
using Automation.Stores;
using Automation.Tests.Infrastructure;
using Automation.WooCommerce;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Automation.Tests.Platforms;

[NonParallelizable]
public sealed class PlatformClientTests
{
    private FakePlatform _platform = null!;
    private readonly IOptions<PlatformRetryOptions> _retry = Options.Create(new PlatformRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxAttempts = 3 });

    [SetUp]
    public async Task Start() => _platform = await FakePlatform.StartAsync();

    [TearDown]
    public async Task Stop() => await _platform.DisposeAsync();

    private Store ShopifyStore() => new("s1", Platform.Shopify, "shopify:s1", [Encoding.UTF8.GetBytes("x")], new Uri(_platform.ShopifyAdminApiBaseUrl), "shpat_token", null, null, TimeZoneInfo.Utc, "EUR", true);

    private Store WooStore() => new("w1", Platform.WooCommerce, "woocommerce:w1", [Encoding.UTF8.GetBytes("x")], new Uri(_platform.WooCommerceApiBaseUrl), null, "ck_1", "cs_1", TimeZoneInfo.Utc, "USD", true);

    private ShopifyAdminClient Shopify() => new(new HttpClient(), _retry, TimeProvider.System, NullLogger<ShopifyAdminClient>.Instance);

    private WooCommerceClient Woo() => new(new HttpClient(), _retry, TimeProvider.System, NullLogger<WooCommerceClient>.Instance);

    [Test]
    public async Task ShopifyThrottledInTheBody_IsRetriedAndSucceeds()
    {
        var calls = 0;
        _platform.OnGraphQL("shop", _ => ++calls == 1
            ? FakeResponse.Json(new { errors = new[] { new { message = "Throttled", extensions = new { code = "THROTTLED" } } }, extensions = new { cost = new { requestedQueryCost = 10, actualQueryCost = (int?)null, throttleStatus = new { maximumAvailable = 1000, currentlyAvailable = 9.9, restoreRate = 100 } } } })
            : FakeResponse.Json(new { data = new { shop = new { name = "Demo" } } }));

        var data = await Shopify().GraphQLAsync(ShopifyStore(), "{ shop { name } }", null, CancellationToken.None);

        Assert.That(data.GetProperty("shop").GetProperty("name").GetString(), Is.EqualTo("Demo"));
        Assert.That(calls, Is.EqualTo(2));
        Assert.That(_platform.Requests[0].Headers["x-shopify-access-token"], Is.EqualTo("shpat_token"));
    }

    [Test]
    public async Task Shopify429WithRetryAfter_IsRetried()
    {
        var calls = 0;
        _platform.OnGraphQL("shop", _ => ++calls == 1
            ? new FakeResponse(429, new { errors = "Exceeded 2 calls per second" }, new Dictionary<string, string> { ["Retry-After"] = "0.05" })
            : FakeResponse.Json(new { data = new { shop = new { name = "Demo" } } }));

        await Shopify().GraphQLAsync(ShopifyStore(), "{ shop { name } }", null, CancellationToken.None);
        Assert.That(calls, Is.EqualTo(2));
    }

    [Test]
    public async Task ShopifyStillFailing_IsATransientFailureAfterMaxAttempts()
    {
        _platform.OnGraphQL("shop", _ => new FakeResponse(503, new { errors = "Unavailable" }));
        var error = (await Assert.ThrowsAsync<PlatformException>(() => Shopify().GraphQLAsync(ShopifyStore(), "{ shop { name } }", null, CancellationToken.None)))!;
        Assert.That(error.IsTransient, Is.True);
        Assert.That(_platform.Requests, Has.Count.EqualTo(3));
    }

    [Test]
    public async Task ShopifyGraphQLError_IsPermanent()
    {
        _platform.OnGraphQL("shop", _ => FakeResponse.Json(new { errors = new[] { new { message = "Field 'nope' doesn't exist on type 'Shop'", extensions = new { code = "undefinedField" } } } }));
        var error = (await Assert.ThrowsAsync<PlatformException>(() => Shopify().GraphQLAsync(ShopifyStore(), "{ shop { nope } }", null, CancellationToken.None)))!;
        Assert.That((error.IsTransient, error.ErrorCode), Is.EqualTo((false, "undefinedField")));
        Assert.That(_platform.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task WooDuplicateCoupon_CarriesWoosErrorCode()
    {
        _platform.On("POST", "/wp-json/wc/v3/coupons", _ => new FakeResponse(400, new { code = "woocommerce_rest_coupon_code_already_exists", message = "The coupon code already exists", data = new { status = 400 } }));
        var error = (await Assert.ThrowsAsync<PlatformException>(() => Woo().SendAsync(WooStore(), HttpMethod.Post, "coupons", new { code = "x" }, CancellationToken.None)))!;
        Assert.That((error.StatusCode, error.ErrorCode, error.IsTransient), Is.EqualTo(((HttpStatusCode?)HttpStatusCode.BadRequest, "woocommerce_rest_coupon_code_already_exists", false)));
    }

    [Test]
    public async Task WooServerError_IsRetriedWithBasicAuth()
    {
        var calls = 0;
        _platform.On("GET", "/wp-json/wc/v3/products/93", _ => ++calls == 1 ? new FakeResponse(502, "<html>Bad gateway</html>") : FakeResponse.Json(new { id = 93, stock_quantity = 4 }));

        var product = await Woo().SendAsync(WooStore(), HttpMethod.Get, "products/93", null, CancellationToken.None);

        Assert.That(product.GetProperty("stock_quantity").GetInt32(), Is.EqualTo(4));
        Assert.That(_platform.Requests[0].Headers["authorization"], Is.EqualTo("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("ck_1:cs_1"))));
    }
}
