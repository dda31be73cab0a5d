using System.Globalization;
using System.Net;
using System.Text;
using Automation.Platforms;
using Automation.Shopify;
using Automation.Tests.Infrastructure;
using Automation.WooCommerce;
using static Automation.Tests.Platforms.PlatformTestKit;

namespace Automation.Tests.Platforms;

/// <summary>
/// The platform clients through their resilience pipelines against a fake Shopify/WooCommerce over real HTTP:
/// what is retried, how long the platform's waits are kept, what is never sent twice, and the per-store circuit.
/// Requests are counted at the fake; a wait is checked as a lower bound on the time between two requests there.
/// </summary>
[NonParallelizable]
public sealed class PlatformClientTests
{
    private const string ShopQuery = "query ShopName { shop { name } }";
    private const string TagsAdd = "mutation tagsAdd($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } } }";

    private FakePlatform _platform = null!;
    private ServiceProvider _services = null!;

    [SetUp]
    public async Task Start()
    {
        _platform = await FakePlatform.StartAsync();
        _services = Services();
    }

    [TearDown]
    public async Task Stop()
    {
        await _services.DisposeAsync();
        await _platform.DisposeAsync();
    }

    private ShopifyAdminClient ShopifyClient() => _services.GetRequiredService<ShopifyAdminClient>();

    private WooCommerceClient WooClient() => _services.GetRequiredService<WooCommerceClient>();

    private static FakeResponse ShopName() => FakeResponse.Json(ShopifyData(new { shop = new { name = "Demo" } }));

    private void Reconfigure(Action<Dictionary<string, string?>> configure)
    {
        _services.Dispose();
        _services = Services(configure);
    }

    [Test]
    public async Task ShopifyThrottledInTheBody_WaitsForTheRestoreThenSucceeds()
    {
        // 50 points wanted, none left, 100 a second back: Shopify ran nothing, and the query can run in half a second.
        var calls = 0;
        _platform.OnGraphQL("ShopName", _ => Interlocked.Increment(ref calls) == 1 ? FakeResponse.Json(ShopifyThrottled(requested: 50, available: 0, restoreRate: 100)) : ShopName());

        var data = await ShopifyClient().GraphQLAsync(ShopifyStore(_platform), ShopQuery, null, CancellationToken.None);

        Assert.That(data.GetProperty("shop").GetProperty("name").GetString(), Is.EqualTo("Demo"));
        var requests = _platform.GraphQLRequests("ShopName");
        Assert.That(requests, Has.Count.EqualTo(2));
        Assert.That(Gap(requests[0], requests[1]), Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(500) - ClockSlack));
        Assert.That(requests[0].Headers["x-shopify-access-token"], Is.EqualTo("shpat_token"));
    }

    [Test]
    public async Task ShopifyThrottledMutation_IsSentAgain_ShopifyRanNothing()
    {
        var calls = 0;
        _platform.OnGraphQL("tagsAdd", _ => Interlocked.Increment(ref calls) == 1
            ? FakeResponse.Json(ShopifyThrottled(requested: 10, available: 5, restoreRate: 100))
            : FakeResponse.Json(ShopifyData(new { tagsAdd = new { node = new { id = "gid://shopify/Product/1" }, userErrors = Array.Empty<object>() } })));

        await ShopifyClient().GraphQLAsync(ShopifyStore(_platform), TagsAdd, new { id = "gid://shopify/Product/1", tags = new[] { "sold out" } }, CancellationToken.None);

        Assert.That(_platform.GraphQLRequests("tagsAdd"), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task ShopifyBucketRunningLow_WaitsBeforeTheNextQuery_InsteadOfBeingThrottled()
    {
        // The first answer says the query costs 40 and 10 points are left, restoring 50 a second: the next one waits 0.6 s.
        _platform.OnGraphQL("ShopName", _ => FakeResponse.Json(ShopifyData(new { shop = new { name = "Demo" } }, requested: 40, available: 10, restoreRate: 50)));
        var client = ShopifyClient();

        await client.GraphQLAsync(ShopifyStore(_platform), ShopQuery, null, CancellationToken.None);
        await client.GraphQLAsync(ShopifyStore(_platform), ShopQuery, null, CancellationToken.None);

        var requests = _platform.GraphQLRequests("ShopName");
        Assert.That(requests, Has.Count.EqualTo(2));
        Assert.That(Gap(requests[0], requests[1]), Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(600) - ClockSlack));
    }

    [Test]
    public async Task ShopifyBucket_IsPerStore_AnotherStoreDoesNotWait()
    {
        _platform.OnGraphQL("ShopName", r => r.Headers["x-shopify-access-token"] == "shpat_low"
            ? FakeResponse.Json(ShopifyData(new { shop = new { name = "Low" } }, requested: 100, available: 0, restoreRate: 1))
            : ShopName());
        var client = ShopifyClient();

        await client.GraphQLAsync(ShopifyStore(_platform, "low", "shpat_low"), ShopQuery, null, CancellationToken.None);
        // The low store would now wait 100 s (beyond MaxRetryAfter: refused at once, nothing sent); the other goes straight through.
        var refused = (await Assert.ThrowsAsync<PlatformException>(() => client.GraphQLAsync(ShopifyStore(_platform, "low", "shpat_low"), ShopQuery, null, CancellationToken.None)))!;
        var other = await client.GraphQLAsync(ShopifyStore(_platform, "other", "shpat_other"), ShopQuery, null, CancellationToken.None);

        Assert.That((refused.IsTransient, refused.ErrorCode), Is.EqualTo((true, "THROTTLED")));
        Assert.That(other.GetProperty("shop").GetProperty("name").GetString(), Is.EqualTo("Demo"));
        Assert.That(_platform.GraphQLRequests("ShopName").Count(r => r.Headers["x-shopify-access-token"] == "shpat_low"), Is.EqualTo(1));
    }

    [Test]
    public async Task Shopify429WithRetryAfterInSeconds_WaitsThenRetries()
    {
        var calls = 0;
        _platform.OnGraphQL("ShopName", _ => Interlocked.Increment(ref calls) == 1
            ? new FakeResponse(429, new { errors = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service." }, new Dictionary<string, string> { ["Retry-After"] = "1.0" })
            : ShopName());

        await ShopifyClient().GraphQLAsync(ShopifyStore(_platform), ShopQuery, null, CancellationToken.None);

        var requests = _platform.GraphQLRequests("ShopName");
        Assert.That(requests, Has.Count.EqualTo(2));
        Assert.That(Gap(requests[0], requests[1]), Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1) - ClockSlack));
    }

    [Test]
    public async Task Shopify429WithRetryAfterAsHttpDate_WaitsUntilThenRetries()
    {
        var calls = 0;
        var until = DateTimeOffset.MinValue;
        _platform.OnGraphQL("ShopName", _ =>
        {
            if (Interlocked.Increment(ref calls) > 1) return ShopName();
            until = DateTimeOffset.UtcNow.AddSeconds(2);
            return new FakeResponse(429, new { errors = "Throttled" }, new Dictionary<string, string> { ["Retry-After"] = until.ToString("r", CultureInfo.InvariantCulture) });
        });

        await ShopifyClient().GraphQLAsync(ShopifyStore(_platform), ShopQuery, null, CancellationToken.None);

        var requests = _platform.GraphQLRequests("ShopName");
        Assert.That(requests, Has.Count.EqualTo(2));
        // An HTTP-date has whole seconds: the retry comes no earlier than the second named.
        var named = DateTimeOffset.ParseExact(until.ToString("r", CultureInfo.InvariantCulture), "r", CultureInfo.InvariantCulture);
        Assert.That(requests[1].ReceivedAt, Is.GreaterThanOrEqualTo(named - ClockSlack));
    }

    [TestCase("120")]
    [TestCase("date")]
    public async Task RetryAfterBeyondTheCap_IsHandedBackAtOnceAsTransient(string retryAfter)
    {
        // MaxRetryAfter is 5 s here: a platform asking for two minutes is left to the caller's own retry (Durable, the queue).
        var header = retryAfter == "date" ? DateTimeOffset.UtcNow.AddMinutes(2).ToString("r", CultureInfo.InvariantCulture) : retryAfter;
        _platform.OnGraphQL("ShopName", _ => new FakeResponse(429, new { errors = "Throttled" }, new Dictionary<string, string> { ["Retry-After"] = header }));

        var error = (await Assert.ThrowsAsync<PlatformException>(() => ShopifyClient().GraphQLAsync(ShopifyStore(_platform), ShopQuery, null, CancellationToken.None)))!;

        Assert.That((error.IsTransient, error.StatusCode, error.OutcomeUnknown), Is.EqualTo((true, (HttpStatusCode?)HttpStatusCode.TooManyRequests, false)));
        Assert.That(_platform.GraphQLRequests("ShopName"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Woo503WithRetryAfter_WaitsThenTheReadSucceeds()
    {
        var calls = 0;
        _platform.On("GET", "/wp-json/wc/v3/products/93", _ => Interlocked.Increment(ref calls) == 1
            ? new FakeResponse(503, "<html>Down for maintenance</html>", new Dictionary<string, string> { ["Retry-After"] = "1" })
            : FakeResponse.Json(new { id = 93, stock_quantity = 4 }));

        var product = await WooClient().SendAsync(WooStore(_platform), HttpMethod.Get, "products/93", null, CancellationToken.None);

        Assert.That(product.GetProperty("stock_quantity").GetInt32(), Is.EqualTo(4));
        var requests = _platform.Requests;
        Assert.That(requests, Has.Count.EqualTo(2));
        Assert.That(Gap(requests[0], requests[1]), Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1) - ClockSlack));
        Assert.That(requests[0].Headers["authorization"], Is.EqualTo("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("ck_1:cs_1"))));
    }

    [Test]
    public async Task Woo429OnAWrite_IsSentAgain_TheRequestWasRefusedUnexecuted()
    {
        var calls = 0;
        _platform.On("POST", "/wp-json/wc/v3/coupons", _ => Interlocked.Increment(ref calls) == 1
            ? new FakeResponse(429, new { code = "too_many_requests", message = "Slow down" }, new Dictionary<string, string> { ["Retry-After"] = "0" })
            : FakeResponse.Json(new { id = 7001, code = "back1" }, 201));

        var coupon = await WooClient().SendAsync(WooStore(_platform), HttpMethod.Post, "coupons", new { code = "BACK1" }, CancellationToken.None);

        Assert.That(coupon.GetProperty("id").GetInt64(), Is.EqualTo(7001));
        Assert.That(_platform.Requests, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Reads_AreRetriedOn5xx()
    {
        var shopifyCalls = 0;
        var wooCalls = 0;
        _platform.OnGraphQL("ShopName", _ => Interlocked.Increment(ref shopifyCalls) <= 2 ? new FakeResponse(502, "<html>Bad gateway</html>") : ShopName());
        _platform.On("GET", "/wp-json/wc/v3/products/93", _ => Interlocked.Increment(ref wooCalls) <= 2 ? new FakeResponse(500, new { code = "internal_server_error" }) : FakeResponse.Json(new { id = 93 }));

        await ShopifyClient().GraphQLAsync(ShopifyStore(_platform), ShopQuery, null, CancellationToken.None);
        await WooClient().SendAsync(WooStore(_platform), HttpMethod.Get, "products/93", null, CancellationToken.None);

        Assert.That(_platform.GraphQLRequests("ShopName"), Has.Count.EqualTo(3));
        Assert.That(_platform.Requests.Count(r => r.Path == "/wp-json/wc/v3/products/93"), Is.EqualTo(3));
    }

    [Test]
    public async Task Mutations_AreNotSentAgainOn5xx_TheirOutcomeIsUnknown()
    {
        _platform.OnGraphQL("tagsAdd", _ => new FakeResponse(503, new { errors = "Service unavailable" }));
        _platform.On("POST", "/wp-json/wc/v3/orders/2001/refunds", _ => new FakeResponse(500, new { code = "internal_server_error", message = "Critical error" }));
        _platform.On("PUT", "/wp-json/wc/v3/products/93", _ => new FakeResponse(502, "<html>Bad gateway</html>"));

        var shopify = (await Assert.ThrowsAsync<PlatformException>(() => ShopifyClient().GraphQLAsync(ShopifyStore(_platform), TagsAdd, new { id = "gid://shopify/Product/1", tags = new[] { "x" } }, CancellationToken.None)))!;
        var refund = (await Assert.ThrowsAsync<PlatformException>(() => WooClient().SendAsync(WooStore(_platform), HttpMethod.Post, "orders/2001/refunds", new { amount = "10.00" }, CancellationToken.None)))!;
        var update = (await Assert.ThrowsAsync<PlatformException>(() => WooClient().SendAsync(WooStore(_platform), HttpMethod.Put, "products/93", new { catalog_visibility = "hidden" }, CancellationToken.None)))!;

        Assert.That(new[] { shopify, refund, update }.Select(e => (e.IsTransient, e.OutcomeUnknown)), Is.All.EqualTo((true, true)));
        Assert.That(_platform.GraphQLRequests("tagsAdd"), Has.Count.EqualTo(1));
        Assert.That(_platform.Requests.Count(r => r.Path.EndsWith("/refunds", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(_platform.Requests.Count(r => r.Method == "PUT"), Is.EqualTo(1));
    }

    [Test]
    public async Task Timeouts_ReadRetried_MutationNotSentAgain()
    {
        Reconfigure(s => s["Platforms:AttemptTimeout"] = "00:00:00.500");
        var reads = 0;
        _platform.OnGraphQL("ShopName", _ => Interlocked.Increment(ref reads) == 1 ? ShopName() with { Delay = TimeSpan.FromSeconds(3) } : ShopName());
        _platform.OnGraphQL("tagsAdd", _ => FakeResponse.Json(ShopifyData(new { tagsAdd = new { node = new { id = "gid://shopify/Product/1" }, userErrors = Array.Empty<object>() } })) with { Delay = TimeSpan.FromSeconds(3) });

        await ShopifyClient().GraphQLAsync(ShopifyStore(_platform), ShopQuery, null, CancellationToken.None);
        var error = (await Assert.ThrowsAsync<PlatformException>(() => ShopifyClient().GraphQLAsync(ShopifyStore(_platform), TagsAdd, new { id = "gid://shopify/Product/1", tags = new[] { "x" } }, CancellationToken.None)))!;

        Assert.That(_platform.GraphQLRequests("ShopName"), Has.Count.EqualTo(2));
        Assert.That((error.IsTransient, error.OutcomeUnknown, error.ErrorCode), Is.EqualTo((true, true, "timeout")));
        Assert.That(_platform.GraphQLRequests("tagsAdd"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task StillFailing_IsATransientFailureAfterTheRetries()
    {
        _platform.OnGraphQL("ShopName", _ => new FakeResponse(503, new { errors = "Unavailable" }));

        var error = (await Assert.ThrowsAsync<PlatformException>(() => ShopifyClient().GraphQLAsync(ShopifyStore(_platform), ShopQuery, null, CancellationToken.None)))!;

        Assert.That((error.IsTransient, error.OutcomeUnknown), Is.EqualTo((true, false)));
        Assert.That(_platform.Requests, Has.Count.EqualTo(4), "the first try and MaxRetries (3)");
    }

    [Test]
    public async Task ShopifyGraphQLError_IsPermanent()
    {
        _platform.OnGraphQL("shop", _ => FakeResponse.Json(new { errors = new[] { new { message = "Field 'nope' doesn't exist on type 'Shop'", extensions = new { code = "undefinedField" } } } }));

        var error = (await Assert.ThrowsAsync<PlatformException>(() => ShopifyClient().GraphQLAsync(ShopifyStore(_platform), "{ shop { nope } }", null, CancellationToken.None)))!;

        Assert.That((error.IsTransient, error.ErrorCode), Is.EqualTo((false, "undefinedField")));
        Assert.That(_platform.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task WooDuplicateCoupon_CarriesWoosErrorCode()
    {
        _platform.On("POST", "/wp-json/wc/v3/coupons", _ => new FakeResponse(400, new { code = "woocommerce_rest_coupon_code_already_exists", message = "The coupon code already exists", data = new { status = 400 } }));

        var error = (await Assert.ThrowsAsync<PlatformException>(() => WooClient().SendAsync(WooStore(_platform), HttpMethod.Post, "coupons", new { code = "x" }, CancellationToken.None)))!;

        Assert.That((error.StatusCode, error.ErrorCode, error.IsTransient), Is.EqualTo(((HttpStatusCode?)HttpStatusCode.BadRequest, "woocommerce_rest_coupon_code_already_exists", false)));
    }

    [Test]
    public async Task CircuitOpensForOneStore_ItsCallsFailFast_AnotherStoreUnaffected_ThenItClosesAfterItsBreak()
    {
        Reconfigure(s =>
        {
            s["Platforms:MaxRetries"] = "1";
            s["Platforms:CircuitBreaker:MinimumThroughput"] = "2";
            s["Platforms:CircuitBreaker:BreakDuration"] = "00:00:01";
        });
        var down = true;
        _platform.OnGraphQL("ShopName", r => Volatile.Read(ref down) && r.Headers["x-shopify-access-token"] == "shpat_down" ? new FakeResponse(503, new { errors = "Unavailable" }) : ShopName());
        var client = ShopifyClient();
        var failing = ShopifyStore(_platform, "down", "shpat_down");
        var healthy = ShopifyStore(_platform, "up", "shpat_up");
        int AtTheFake(string token) => _platform.Requests.Count(r => r.Headers["x-shopify-access-token"] == token);

        // Two failed attempts (the call and its retry) open the circuit of that store.
        var first = (await Assert.ThrowsAsync<PlatformException>(() => client.GraphQLAsync(failing, ShopQuery, null, CancellationToken.None)))!;
        Assert.That((first.IsTransient, first.StatusCode), Is.EqualTo((true, (HttpStatusCode?)HttpStatusCode.ServiceUnavailable)));
        Assert.That(AtTheFake("shpat_down"), Is.EqualTo(2));

        // Open: the store's calls fail at once without reaching the platform; the other store's go through.
        var fast = (await Assert.ThrowsAsync<PlatformException>(() => client.GraphQLAsync(failing, ShopQuery, null, CancellationToken.None)))!;
        Assert.That((fast.IsTransient, fast.ErrorCode), Is.EqualTo((true, "circuit_open")));
        Assert.That(AtTheFake("shpat_down"), Is.EqualTo(2));
        var other = await client.GraphQLAsync(healthy, ShopQuery, null, CancellationToken.None);
        Assert.That(other.GetProperty("shop").GetProperty("name").GetString(), Is.EqualTo("Demo"));

        // The store recovers; after the break a trial call goes through and closes the circuit.
        Volatile.Write(ref down, false);
        await Eventually.Until(async () =>
        {
            try
            {
                await client.GraphQLAsync(failing, ShopQuery, null, CancellationToken.None);
                return true;
            }
            catch (PlatformException ex) when (ex.ErrorCode == "circuit_open")
            {
                return false;
            }
        }, TimeSpan.FromSeconds(10), "the circuit to let a call through after its break");
        await client.GraphQLAsync(failing, ShopQuery, null, CancellationToken.None);
        Assert.That(AtTheFake("shpat_down"), Is.EqualTo(4), "only the trial call and the one after it reached the platform");
    }

    [Test]
    public void InvalidSettings_AreRefusedNamingTheSetting()
    {
        using var services = Services(s =>
        {
            s["Platforms:Shopify:CircuitBreaker:MinimumThroughput"] = "1";
            s["Platforms:MaxRetryAfter"] = "00:10:00";
        });

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<PlatformResilienceOptions>>().Get(PlatformRegistration.Shopify))!;

        Assert.That(error.Message, Does.Contain("Platforms:Shopify:CircuitBreaker:MinimumThroughput").And.Contain("MaxRetryAfter"));
    }
}
