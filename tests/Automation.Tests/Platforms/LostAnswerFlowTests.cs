using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Automation.Flows;
using Automation.Returns;
using Automation.Tests.AbandonedCart;
using Automation.Tests.Infrastructure;
using Automation.Tests.Returns;
using Microsoft.DurableTask.Client;
using static Automation.Tests.AbandonedCart.RecoveryScenario;

namespace Automation.Tests.Platforms;

/// <summary>
/// A platform that carries a write out and then answers too late (the fake does the work, then holds the answer past
/// the client's one-second attempt timeout): the real app, end to end, must end up with exactly one of each thing at
/// the platform — it looks for what the lost call made instead of making another — and the flow carries on with it.
/// </summary>
[NonParallelizable]
public sealed class LostAnswerFlowTests
{
    private static readonly TimeSpan TooLate = TimeSpan.FromSeconds(3);
    private const long OrderId = 6230184263752;
    private const long ShirtLine = 15012345678901;

    private FakePlatform _platform = null!;
    private TestApp? _app;

    [SetUp]
    public async Task SetUp()
    {
        await MailSink.ClearAsync();
        _platform = await FakePlatform.StartAsync();
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_app is not null) await _app.DisposeAsync();
        _app = null;
        await _platform.DisposeAsync();
    }

    private async Task<TestApp> StartAsync(Action<Dictionary<string, string?>> configure) =>
        _app = await TestApp.StartAsync(s =>
        {
            s["Platforms:AttemptTimeout"] = "00:00:01";
            configure(s);
        });

    [Test]
    public async Task ShopifyReturnRequestAnsweredTooLate_OneReturnAtShopify_AndTheFlowApprovesIt()
    {
        var returns = new ConcurrentBag<(string Id, string FulfillmentLine, int Quantity)>();
        ProgramShopifyOrder();
        _platform
            .OnGraphQL("mutation RequestReturn", r =>
            {
                // Shopify makes the return, but its answer never reaches us in time.
                var line = r.Variables.GetProperty("input").GetProperty("returnLineItems")[0];
                var id = $"gid://shopify/Return/{770 + returns.Count}";
                returns.Add((id, line.GetProperty("fulfillmentLineItemId").GetString()!, line.GetProperty("quantity").GetInt32()));
                return FakeResponse.Json(new { data = new { returnRequest = new { @return = new { id, status = "REQUESTED" }, userErrors = Array.Empty<object>() } } }) with { Delay = TooLate };
            })
            .OnGraphQLData("query ReturnsOfOrder", _ => new
            {
                order = new
                {
                    returns = new
                    {
                        nodes = returns.Select(x => new { id = x.Id, status = "REQUESTED", returnLineItems = new { nodes = new[] { new { quantity = x.Quantity, fulfillmentLineItem = new { id = x.FulfillmentLine } } } } }).ToArray(),
                    },
                },
            });
        var app = await StartAsync(ShopifyReturnsStore);

        var response = await app.Http.PostAsJsonAsync("api/stores/shop/returns", new
        {
            orderNumber = "#1042",
            email = "ada@example.com",
            wish = "refund",
            items = new[] { new { lineItemId = ShirtLine, quantity = 1, reason = "size_too_small" } },
        });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
        var answer = (await response.Content.ReadFromJsonAsync<ReturnReceived>())!;

        var flow = await FlowAsync(app, "shop", answer.Rma);
        Assert.That(flow.Status, Is.EqualTo(nameof(FlowState.Completed)));
        Assert.That(_platform.GraphQLRequests("mutation RequestReturn"), Has.Count.EqualTo(1));
        Assert.That(returns, Has.Count.EqualTo(1));
        Assert.That(_platform.GraphQLRequests("query ReturnsOfOrder"), Has.Count.EqualTo(1), "looked for the return the lost call made");
        var approved = _platform.GraphQLRequests("mutation ApproveReturn").Single().Variables.GetProperty("input").GetProperty("id").GetString();
        Assert.That(approved, Is.EqualTo(returns.Single().Id));
        Assert.That(await MailSink.WaitForAsync(e => e.Subject.Contains(answer.Rma, StringComparison.Ordinal), count: 2), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task ShopifyCouponAnsweredTooLate_OneDiscountAtShopify_AndTheCouponEmailCarriesIt()
    {
        var discounts = new ConcurrentDictionary<string, string>();
        _platform.ShopifyAnswers();
        _platform
            .OnGraphQL("discountCodeBasicCreate", r =>
            {
                var code = r.Variables.GetProperty("basicCodeDiscount").GetProperty("code").GetString()!;
                var id = discounts.GetOrAdd(code, _ => $"gid://shopify/DiscountCodeNode/{900 + discounts.Count}");
                return FakeResponse.Json(new { data = new { discountCodeBasicCreate = new { codeDiscountNode = new { id }, userErrors = Array.Empty<object>() } } }) with { Delay = TooLate };
            })
            .OnGraphQLData("codeDiscountNodeByCode", v => new { codeDiscountNodeByCode = discounts.TryGetValue(v.GetProperty("code").GetString()!, out var id) ? new { id } : null });
        var app = await StartAsync(c =>
        {
            ShopifyStore(c, _platform);
            FastFlows(c);
        });

        await app.PublishAsync(Checkout(email: "late@example.test"));

        var emails = await MailSink.WaitForAsync(m => m.ToAddress == "late@example.test", count: 2);
        var flow = await app.WaitForFlowAsync(FlowId("late@example.test"), f => f.Status == "Completed", "the flow to complete");
        var code = discounts.Keys.Single();
        Assert.That(_platform.GraphQLRequests("discountCodeBasicCreate"), Has.Count.EqualTo(1));
        Assert.That(_platform.GraphQLRequests("codeDiscountNodeByCode"), Has.Count.EqualTo(1));
        Assert.That(emails.Single(m => m.Subject.Contains("off", StringComparison.Ordinal)).Text, Does.Contain(code));
        Assert.That(flow.Has(Automation.AbandonedCart.CheckoutRecoveryOrchestrator.IssueCouponStep, "Done"), Is.True);
    }

    [Test]
    public async Task WooCouponAnsweredTooLate_OneCouponAtWooCommerce_AndTheCouponEmailCarriesIt()
    {
        var coupons = new ConcurrentDictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        _platform.On("GET", "/wp-json/wc/v3/products/*", _ => FakeResponse.Json(new { id = 11, stock_status = "instock" }));
        _platform.On("POST", "/wp-json/wc/v3/coupons", r =>
        {
            // WooCommerce stores the code lower-cased.
            var code = r.Json.Str("code").ToLowerInvariant();
            var id = coupons.GetOrAdd(code, _ => 7000 + coupons.Count);
            return FakeResponse.Json(new { id, code }, 201) with { Delay = TooLate };
        });
        _platform.On("GET", "/wp-json/wc/v3/coupons", r =>
        {
            var code = Uri.UnescapeDataString(r.Query.TrimStart('?').Split('&').Single(p => p.StartsWith("code=", StringComparison.Ordinal))["code=".Length..]);
            return FakeResponse.Json(coupons.Where(c => string.Equals(c.Key, code, StringComparison.OrdinalIgnoreCase)).Select(c => new { id = c.Value, code = c.Key }).ToArray());
        });
        var app = await StartAsync(c =>
        {
            WooStore(c, _platform);
            FastFlows(c);
        });

        await app.PublishAsync(Checkout(checkoutId: "order-44", email: "woo-late@example.test", customerId: null) with { Currency = "USD" });

        var emails = await MailSink.WaitForAsync(m => m.ToAddress == "woo-late@example.test", count: 2);
        Assert.That(_platform.Requests.Count(r => r.Method == "POST" && r.Path == "/wp-json/wc/v3/coupons"), Is.EqualTo(1));
        Assert.That(coupons, Has.Count.EqualTo(1));
        Assert.That(emails.Single(m => m.Subject.Contains("off", StringComparison.Ordinal)).Text, Does.Contain(coupons.Keys.Single()).IgnoreCase);
    }

    [Test]
    public async Task WooRefundAnsweredTooLate_CustomerRefundedOnce()
    {
        var refunds = new ConcurrentBag<(int Id, string Reason)>();
        ProgramWooOrder();
        _platform
            .On("POST", "/wp-json/wc/v3/orders/2001/refunds", r =>
            {
                var id = 9900 + refunds.Count;
                refunds.Add((id, r.Json.Str("reason")));
                return FakeResponse.Json(new { id, amount = r.Json.Str("amount") }, 201) with { Delay = TooLate };
            })
            .On("GET", "/wp-json/wc/v3/orders/2001/refunds", _ => FakeResponse.Json(refunds.Select(x => new { id = x.Id, reason = x.Reason }).ToArray()));
        var app = await StartAsync(WooReturnsStore);

        var response = await app.Http.PostAsJsonAsync("api/stores/woo/returns", new { orderNumber = "2001", email = "grace@example.com", wish = "refund", items = new[] { new { lineItemId = 301, quantity = 2 } } });
        var answer = (await response.Content.ReadFromJsonAsync<ReturnReceived>())!;

        var flow = await FlowAsync(app, "woo", answer.Rma);
        Assert.That(answer.Outcome, Is.EqualTo("KeepIt"));
        Assert.That(flow.Status, Is.EqualTo(nameof(FlowState.Completed)));
        Assert.That(flow.History.Select(h => $"{h.Step}:{h.Outcome}"), Does.Contain("refund:Done"));
        Assert.That(_platform.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/refunds", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(refunds, Has.Count.EqualTo(1));
    }

    private static async Task<Automation.Flows.FlowView> FlowAsync(TestApp app, string store, string rma)
    {
        var instanceId = StartReturnFlow.InstanceId(store, rma);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await app.Services.GetRequiredService<DurableTaskClient>().WaitForInstanceCompletionAsync(instanceId, cancellation: timeout.Token);
        return await app.Admin.GetFromJsonAsync<Automation.Flows.FlowView>(new Uri($"api/flows/{store}/{instanceId}", UriKind.Relative), Automation.Runtime.Json.Options)
            ?? throw new AssertionException($"No flow view for {instanceId}.");
    }

    private static void Warehouse(Dictionary<string, string?> s, string store)
    {
        s[$"Stores:{store}:Returns:Warehouses:0:Id"] = "ams";
        s[$"Stores:{store}:Returns:Warehouses:0:Name"] = "Returns NL";
        s[$"Stores:{store}:Returns:Warehouses:0:Line1"] = "Havenweg 4";
        s[$"Stores:{store}:Returns:Warehouses:0:City"] = "Amsterdam";
        s[$"Stores:{store}:Returns:Warehouses:0:PostalCode"] = "1000 AB";
        s[$"Stores:{store}:Returns:Warehouses:0:CountryCode"] = "NL";
        s[$"Stores:{store}:Returns:Warehouses:0:Email"] = "receiving@example.com";
    }

    private void ShopifyReturnsStore(Dictionary<string, string?> s)
    {
        s["Stores:shop:Platform"] = "Shopify";
        s["Stores:shop:ShopDomain"] = "returns-shop.myshopify.com";
        s["Stores:shop:WebhookSecret"] = TestSecrets.For("webhook-shop");
        s["Stores:shop:AdminApiBaseUrl"] = _platform.ShopifyAdminApiBaseUrl;
        s["Stores:shop:AccessToken"] = "shpat_test";
        Warehouse(s, "shop");
    }

    private void WooReturnsStore(Dictionary<string, string?> s)
    {
        s["Stores:woo:Platform"] = "WooCommerce";
        s["Stores:woo:SiteUrl"] = "https://woo-returns.example.com/";
        s["Stores:woo:WebhookSecret"] = TestSecrets.For("webhook-woo");
        s["Stores:woo:AdminApiBaseUrl"] = _platform.WooCommerceApiBaseUrl;
        s["Stores:woo:ConsumerKey"] = "ck_test";
        s["Stores:woo:ConsumerSecret"] = "cs_test";
        s["Stores:woo:Returns:KeepItBelowValue"] = "15";
        s["Stores:woo:Returns:RefundAutomatically"] = "true";
        Warehouse(s, "woo");
    }

    /// <summary>Order #1042 as Shopify's GraphQL Admin API returns it (2025-10), and the answers to the later steps.</summary>
    private void ProgramShopifyOrder() => _platform
        .ReturnOrder(() => ShopifyReturnAnswers.Order(OrderId, "ada@example.com", "Ada Lovelace", "Keizersgracht 1", "1015 AA",
            new ShopifyReturnLine(ShirtLine, "Linen shirt - M", "SHIRT-M", 2, "40.00", "Shirts", ["summer"], ["new-in"])))
        .ReturnMutations();

    /// <summary>Order 2001 as WooCommerce's REST API v3 returns it.</summary>
    private void ProgramWooOrder()
    {
        var order = new
        {
            id = 2001,
            number = "2001",
            status = "completed",
            currency = "EUR",
            date_created_gmt = DateTime.UtcNow.AddDays(-8).ToString("s"),
            date_completed_gmt = DateTime.UtcNow.AddDays(-6).ToString("s"),
            billing = new { first_name = "Grace", last_name = "Hopper", email = "grace@example.com", address_1 = "Damrak 1", city = "Amsterdam", postcode = "1012 LG", country = "NL" },
            shipping = new { first_name = "Grace", last_name = "Hopper", company = "", address_1 = "Damrak 1", address_2 = "", city = "Amsterdam", state = "", postcode = "1012 LG", country = "NL" },
            line_items = new[] { new { id = 301, name = "Wool socks", product_id = 41, sku = "SOCK-1", quantity = 2, price = 6.5, subtotal = "13.00", total = "13.00" } },
        };
        _platform
            .On("GET", "/wp-json/wc/v3/orders/2001", _ => FakeResponse.Json(order))
            .On("GET", "/wp-json/wc/v3/products", _ => FakeResponse.Json(new[]
            {
                new { id = 41, name = "Wool socks", on_sale = false, tags = new[] { new { id = 1, name = "Winter", slug = "winter" } }, categories = new[] { new { id = 5, name = "Socks", slug = "socks" } } },
            }))
            .On("POST", "/wp-json/wc/v3/orders/2001/notes", _ => FakeResponse.Json(new { id = 8801, note = "ok" }, 201));
    }
}
