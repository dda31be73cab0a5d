using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Automation.AbandonedCart;
using Automation.Tests.AbandonedCart;
using Automation.Tests.Infrastructure;
using Automation.Tests.Returns;
using static Automation.Tests.Inventory.StockTestKit;

namespace Automation.Tests.Runtime;

/// <summary>
/// Every log line of a whole run — every category (the app's, the local host's, ASP.NET Core's, the Durable Task
/// engine's, HttpClient's), every level down to Trace, also where a provider's own setting asks for the request logs —
/// carries no secret, no token and no customer's email address or name. The run: a Shopify and a WooCommerce checkout
/// through the real webhooks to reminder and coupon, an unsubscribe link opened and its button pressed, a waitlist
/// signup and restock with its email and unsubscribe link, a self-service return with its label, a low-stock alert
/// with its purchase order, platform answers that quote the customer and fail an activity (which Durable's worker
/// logs), a forged delivery, an authentic delivery that ends in poison, the admin key tried in <c>?code=</c>, and
/// operator calls with the key.
/// </summary>
[NonParallelizable]
public sealed partial class LogsCarryNoSecretsTests
{
    private const string ShopDomain = "log-shop.myshopify.com";
    private const string WooSource = "https://log-woo.example.com/";
    private const long BlueVariant = 48201930047816;
    private const long GreenVariant = 48201930080584;
    private const long GreenInventoryItem = 50317562216520;
    private const long BlueInventoryItem = 50317562183752;
    private const long OrderId = 6230184263752;
    private const long OrderLine = 15012345678901;

    // Customers (and staff) of the run: none of these may appear in a log line.
    private const string ShopifyBuyer = "zephyrine.quarrington@example.com";
    private const string WooBuyer = "octavian.brightwater@example.net";
    private const string Subscriber = "philippa.vanterpool@example.org";
    private const string Returner = "marisol.fairweather@example.com";
    private const string Buyer = "tiberius.wolstenholme@example.com";
    private const string Poisoned = "ottoline.marchbanks@example.org";
    private const string Ops = "ops-desk@log-shop.test";
    private const string Receiving = "receiving-dock@log-shop.test";
    private const string Supplier = "orders@mugworks.test";
    private static readonly string[] Names =
        ["Zephyrine", "Quarrington", "Octavian", "Brightwater", "Philippa", "Marisol", "Fairweather", "Lindengracht", "Tiberius", "Wolstenholme", "Ottoline", "Marchbanks"];

    private readonly Dictionary<string, string> _secrets = new()
    {
        ["Shopify webhook secret"] = TestSecrets.New(),
        ["WooCommerce webhook secret"] = TestSecrets.New(),
        ["Shopify access token"] = "shpat_" + TestSecrets.New(),
        ["WooCommerce consumer key"] = "ck_" + TestSecrets.New(),
        ["WooCommerce consumer secret"] = "cs_" + TestSecrets.New(),
        ["SMTP password"] = TestSecrets.New(),
        ["signing secret"] = TestSecrets.New(),
        ["storage account key"] = Regex.Match(Azurite.ConnectionString, "AccountKey=([^;]+)").Groups[1].Value,
    };

    private FakePlatform _platform = null!;
    private TestApp? _app;
    private LogCapture _logs = null!;

    [SetUp]
    public async Task SetUp()
    {
        await MailSink.ClearAsync();
        _platform = await FakePlatform.StartAsync();
        Program(_platform);
        _logs = new LogCapture();
        _app = await TestApp.StartAsync(Configure, services => services.AddSingleton<ILoggerProvider>(_logs));
        _secrets["admin key"] = TestApp.AdminKey;
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_app is not null) await _app.DisposeAsync();
        await _platform.DisposeAsync();
        _logs.Dispose();
    }

    private void Configure(Dictionary<string, string?> s)
    {
        // Everything, as verbose as it gets — and a provider of its own asking for the request logs.
        foreach (var category in new[] { "Default", "Microsoft", "Microsoft.AspNetCore", "Microsoft.AspNetCore.Hosting.Diagnostics", "Microsoft.AspNetCore.Server.Kestrel", "System", "DurableTask", "Azure", "Polly" })
            s[$"Logging:LogLevel:{category}"] = "Trace";
        s[$"Logging:{LogCapture.Alias}:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace";
        s["Logging:Console:LogLevel:Default"] = "None";
        s["Logging:Debug:LogLevel:Default"] = "None";
        s["Logging:EventSource:LogLevel:Default"] = "None";

        s["Signing:Secret"] = _secrets["signing secret"];
        s["Email:Password"] = _secrets["SMTP password"];
        s["LocalHost:DrainTimeout"] = "00:00:00.500";
        s["AbandonedCart:ReminderDelay"] = "00:00:01";
        s["AbandonedCart:CouponDelay"] = "00:00:01.500";
        s["AbandonedCart:QuietHoursStart"] = "00:00:00";
        s["AbandonedCart:QuietHoursEnd"] = "00:00:00";
        s["AbandonedCart:PublicBaseUrl"] = "https://automation.example.test";

        s["Stores:shop:Platform"] = "Shopify";
        s["Stores:shop:ShopDomain"] = ShopDomain;
        s["Stores:shop:WebhookSecret"] = _secrets["Shopify webhook secret"];
        s["Stores:shop:AdminApiBaseUrl"] = _platform.ShopifyAdminApiBaseUrl;
        s["Stores:shop:AccessToken"] = _secrets["Shopify access token"];
        s["Stores:shop:Currency"] = "EUR";
        s["Stores:shop:Inventory:DefaultLowStockThreshold"] = "5";
        s["Stores:shop:LowStock:OpsContacts:0"] = Ops;
        s["Stores:shop:LowStock:GroupingWindow"] = "00:00:01";
        s["Stores:shop:LowStock:Suppliers:mugworks:Name"] = "Mugworks";
        s["Stores:shop:LowStock:Suppliers:mugworks:Email"] = Supplier;
        s["Stores:shop:LowStock:Skus:MUG-BLUE:Supplier"] = "mugworks";
        s["Stores:shop:Restock:PublicBaseUrl"] = "https://automation.example.test";
        s["Stores:shop:Returns:Warehouses:0:Id"] = "ams";
        s["Stores:shop:Returns:Warehouses:0:Name"] = "Returns NL";
        s["Stores:shop:Returns:Warehouses:0:Line1"] = "Havenweg 4";
        s["Stores:shop:Returns:Warehouses:0:City"] = "Amsterdam";
        s["Stores:shop:Returns:Warehouses:0:PostalCode"] = "1000 AB";
        s["Stores:shop:Returns:Warehouses:0:CountryCode"] = "NL";
        s["Stores:shop:Returns:Warehouses:0:Email"] = Receiving;

        s["Stores:woo:Platform"] = "WooCommerce";
        s["Stores:woo:SiteUrl"] = WooSource;
        s["Stores:woo:WebhookSecret"] = _secrets["WooCommerce webhook secret"];
        s["Stores:woo:AdminApiBaseUrl"] = _platform.WooCommerceApiBaseUrl;
        s["Stores:woo:ConsumerKey"] = _secrets["WooCommerce consumer key"];
        s["Stores:woo:ConsumerSecret"] = _secrets["WooCommerce consumer secret"];
    }

    [Test]
    public async Task WholeRun_NoSecretTokenEmailOrNameInAnyLogLine()
    {
        var app = _app!;
        var tokens = new Dictionary<string, string>();

        // The catalogue, then both checkouts through the real webhooks.
        await DeliverShopifyAsync("products/update", Product(blue: 12, green: 0, Now(0)));
        await SettledAsync("shop", BlueVariant, 12);
        await DeliverShopifyAsync("checkouts/create", ShopifyCheckout());
        await DeliverAsync(Deliveries.WooCommerce(WooSource, "order.created", WooPendingOrder(), _secrets["WooCommerce webhook secret"]));

        // A paid order (28 mugs: one a day over the velocity window), then MUG-BLUE drops to 3 (threshold 5) → the ops
        // alert and a purchase order to the supplier.
        await DeliverShopifyAsync("orders/create", PaidOrder());
        await Eventually.Until(SaleRecordedAsync, TimeSpan.FromSeconds(20), "the order's sale recorded");
        await DeliverShopifyAsync("inventory_levels/update", Level(BlueInventoryItem, 3, Now(1)));

        // Back in stock: a waitlist signup for the sold-out MUG-GREEN, then the restock → the waitlist email.
        var signup = await app.Http.PostAsJsonAsync("api/stores/shop/waitlist", new { email = Subscriber, sku = "MUG-GREEN", consent = true, firstName = "Philippa" });
        Assert.That(signup.StatusCode, Is.EqualTo(HttpStatusCode.Created), await signup.Content.ReadAsStringAsync());
        await DeliverShopifyAsync("inventory_levels/update", Level(GreenInventoryItem, 4, Now(2)));

        // A self-service return with a label.
        var returned = await app.Http.PostAsJsonAsync("api/stores/shop/returns", new
        {
            orderNumber = "#1042",
            email = Returner,
            wish = "refund",
            items = new[] { new { lineItemId = OrderLine, quantity = 1, reason = "size_too_small", note = "Too small for Marisol" } },
        });
        Assert.That(returned.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await returned.Content.ReadAsStringAsync());

        // A forged delivery, and an admin key in the query string (not accepted, and not logged either).
        Assert.That((await app.Http.SendAsync(Deliveries.Shopify(ShopDomain, "orders/create", "{}", TestSecrets.New()))).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await app.Http.GetAsync($"api/admin/deliveries/shop?code={Uri.EscapeDataString(TestApp.AdminKey)}")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        // An authentic delivery that cannot be read (a customer's details in a cut-off body): kept, and moved to poison.
        await DeliverShopifyAsync("orders/create", $"{{\"email\": \"{Poisoned}\", \"customer\": {{\"first_name\": \"Ottoline\", \"last_name\": \"Marchbanks\", \"id\": 70123");
        await Eventually.Until(async () => (await TestApp.PeekPoisonAsync(Automation.Storage.QueueNames.WebhookDeliveries)).Count == 1, TimeSpan.FromSeconds(20), "the delivery in poison");

        // Every email: reminder and coupon of both checkouts, the low-stock alert and purchase order, the waitlist
        // email, the return's two.
        foreach (var (to, count) in new[] { (ShopifyBuyer, 2), (WooBuyer, 2), (Ops, 1), (Supplier, 1), (Subscriber, 1), (Returner, 1), (Receiving, 1) })
            await MailSink.WaitForAsync(m => m.ToAddress == to, count, TimeSpan.FromSeconds(90));
        var emails = await MailSink.AllAsync();
        var shopifyReminder = emails.Single(m => m.ToAddress == ShopifyBuyer && m.Subject.Contains("left something", StringComparison.Ordinal));
        var waitlistEmail = emails.Single(m => m.ToAddress == Subscriber);

        // The customer opens the cart reminder's unsubscribe link, and presses its button.
        var unsubscribe = new Uri((await RecoveryScenario.RawHeaderAsync(shopifyReminder, "List-Unsubscribe"))!.Trim('<', '>'));
        tokens["unsubscribe token"] = Uri.UnescapeDataString(Regex.Match(unsubscribe.Query, "token=([^&]+)").Groups[1].Value);
        tokens["unsubscribe token, as in the link"] = Regex.Match(unsubscribe.Query, "token=([^&]+)").Groups[1].Value;
        Assert.That((await app.Http.GetAsync(Relative(unsubscribe))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await app.Http.PostAsync(Relative(unsubscribe), OneClick())).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        // … and the waitlist email's.
        var leave = new Uri((await RecoveryScenario.RawHeaderAsync(waitlistEmail, "List-Unsubscribe"))!.Trim('<', '>'));
        tokens["waitlist token"] = Regex.Match(leave.Query, "[?&]t=([^&]+)").Groups[1].Value;
        Assert.That((await app.Http.GetAsync(Relative(leave))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await app.Http.PostAsync(Relative(leave), OneClick())).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        // What the platforms were given that works like a key: the coupon codes, the label link's signature.
        foreach (var (code, i) in _platform.GraphQLRequests("discountCodeBasicCreate").Select((r, i) => (r.Variables.GetProperty("basicCodeDiscount").GetProperty("code").GetString()!, i)))
            tokens[$"Shopify coupon code {i}"] = code;
        foreach (var (code, i) in _platform.Requests.Where(r => r is { Method: "POST", Path: "/wp-json/wc/v3/coupons" }).Select((r, i) => (r.Json.GetProperty("code").GetString()!, i)))
            tokens[$"WooCommerce coupon code {i}"] = code;
        Assert.That(_platform.Requests.Where(r => r is { Method: "GET", Path: "/wp-json/wc/v3/coupons" }).Select(r => r.Query).ToList(), Has.Count.GreaterThanOrEqualTo(5).And.All.Contains("code="),
            "the lost coupon was looked up by its code, through a failed attempt and Durable's retry");
        var label = _platform.GraphQLRequests("mutation AttachReturnLabel").Single().Variables.GetProperty("labelInput").GetProperty("fileUrl").GetString()!;
        tokens["label link signature"] = Uri.UnescapeDataString(Regex.Match(label, "[?&]sig=([^&]+)").Groups[1].Value);
        Assert.That(tokens.Values, Has.All.Length.GreaterThanOrEqualTo(12));

        // Operator calls.
        var deliveries = await app.Admin.GetFromJsonAsync<JsonElement>("api/admin/deliveries/shop");
        var key = deliveries.EnumerateArray().First().GetProperty("key").GetString()!;
        Assert.That((await app.Admin.GetAsync($"api/admin/deliveries/shop/{Uri.EscapeDataString(key)}")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var flowId = RecoveryIds.InstanceId("shop", RecoveryIds.CustomerKey(ShopifyBuyer));
        Assert.That((await app.Admin.GetAsync($"api/flows/shop/{flowId}")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await app.Admin.GetAsync("api/stores/shop/stats")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await app.Admin.GetAsync("api/admin/returns/shop")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await app.Admin.GetAsync("api/admin/poison/webhook-deliveries")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await app.Admin.GetStringAsync("api/stores/shop/purchase-orders"), Does.Contain("MUG-BLUE"));

        // The app stops (its last lines are logged too).
        await app.DisposeAsync();
        _app = null;

        var lines = _logs.Lines;
        var needles = _secrets.Concat(tokens)
            .Append(KeyValuePair.Create("WooCommerce Basic credentials", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_secrets["WooCommerce consumer key"]}:{_secrets["WooCommerce consumer secret"]}"))))
            .Concat(new[] { ShopifyBuyer, WooBuyer, Subscriber, Returner, Buyer, Poisoned, Ops, Receiving, Supplier }.Select(e => KeyValuePair.Create("email " + e, e)))
            .Concat(Names.Select(n => KeyValuePair.Create("name " + n, n)))
            .ToList();
        var leaks = (from line in lines
                     from needle in needles
                     where line.Text.Contains(needle.Value, StringComparison.OrdinalIgnoreCase)
                     select $"{needle.Key} in [{line.Level} {line.Category}] {Clip(line.Text.Replace(needle.Value, $"<{needle.Key}>", StringComparison.OrdinalIgnoreCase))}")
            .Concat(from line in lines
                    from Match match in AnyEmailAddress().Matches(line.Text)
                    select $"an email address in [{line.Level} {line.Category}] {Clip(line.Text.Replace(match.Value, "<email>", StringComparison.Ordinal))}")
            .Distinct()
            .ToList();

        Assert.That(lines, Has.Count.GreaterThan(1000), "the capture saw the whole run");
        Assert.That(lines.Select(l => l.Category).Distinct(), Has.Some.StartsWith("Microsoft.AspNetCore").And.Some.StartsWith("DurableTask").And.Some.StartsWith("Automation."));
        if (leaks.Count > 0)
        {
            var file = Path.Combine(TestContext.CurrentContext.WorkDirectory, "leaking-log-lines.txt");
            await File.WriteAllLinesAsync(file, leaks);
            TestContext.AddTestAttachment(file);
        }

        Assert.That(leaks, Is.Empty, $"{leaks.Count} leaking log line(s) of {lines.Count}");
        Assert.That(lines.Where(l => l.Category == "Microsoft.DurableTask.Worker.Activities").Select(l => l.Text),
            Has.Some.Contains("'IssueRecoveryCoupon' activity").And.Contains("PlatformException: WooCommerce answered HTTP 503"), "the failed attempt logged with its exception");
        Assert.That(lines.Where(l => l.Category == "Automation.LocalHost.Requests").Select(l => l.Message),
            Has.Some.Contains("POST /api/unsubscribe?token=*** answered 200"), "the local host's own request line, its query masked");
    }

    // ---------------------------------------------------------------- the run's deliveries

    private static string Now(int minutes) => DateTimeOffset.UtcNow.AddMinutes(minutes - 10).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture);

    private static string Product(int blue, int green, string updatedAt)
    {
        var product = JsonNode.Parse(Deliveries.Fixture("shopify/products.update.2026-07.json"))!;
        product["updated_at"] = updatedAt;
        product["variants"]![0]!["inventory_quantity"] = blue;
        product["variants"]![1]!["inventory_quantity"] = green;
        product["variants"]![1]!["inventory_policy"] = "deny";
        return product.ToJsonString();
    }

    private static string Level(long inventoryItem, int available, string updatedAt) => JsonSerializer.Serialize(new
    {
        inventory_item_id = inventoryItem,
        location_id = 78901234567,
        available,
        updated_at = updatedAt,
        admin_graphql_api_id = $"gid://shopify/InventoryLevel/78901234567?inventory_item_id={inventoryItem}",
    });

    private static string ShopifyCheckout()
    {
        var checkout = JsonNode.Parse(Deliveries.Fixture("shopify/checkouts.create.json"))!;
        checkout["email"] = ShopifyBuyer;
        checkout["customer"]!["email"] = ShopifyBuyer;
        foreach (var part in new[] { "customer", "billing_address", "shipping_address" })
        {
            checkout[part]!["first_name"] = "Zephyrine";
            checkout[part]!["last_name"] = "Quarrington";
        }

        return checkout.ToJsonString();
    }

    private static string PaidOrder()
    {
        var order = JsonNode.Parse(Deliveries.Fixture("shopify/orders.create.json"))!;
        var now = Now(0);
        order["id"] = OrderId + 1;
        order["name"] = "#1043";
        foreach (var field in new[] { "created_at", "updated_at", "processed_at" }) order[field] = now;
        foreach (var field in new[] { "email", "contact_email" }) order[field] = Buyer;
        order["customer"]!["email"] = Buyer;
        order["checkout_id"] = null;
        order["checkout_token"] = null;
        order["customer"]!["id"] = 7654321000001;
        order["discount_codes"] = new JsonArray();
        foreach (var field in new[] { "quantity", "current_quantity", "fulfillable_quantity" }) order["line_items"]![0]![field] = 28;
        foreach (var part in new[] { "customer", "billing_address", "shipping_address" })
        {
            order[part]!["first_name"] = "Tiberius";
            order[part]!["last_name"] = "Wolstenholme";
        }

        return order.ToJsonString();
    }

    private static string WooPendingOrder()
    {
        var order = JsonNode.Parse(Deliveries.Fixture("woocommerce/order.created.pending.json"))!;
        order["billing"]!["email"] = WooBuyer;
        foreach (var part in new[] { "billing", "shipping" })
        {
            order[part]!["first_name"] = "Octavian";
            order[part]!["last_name"] = "Brightwater";
        }

        return order.ToJsonString();
    }

    private Task DeliverShopifyAsync(string topic, string body) => DeliverAsync(Deliveries.Shopify(ShopDomain, topic, body, _secrets["Shopify webhook secret"]));

    private async Task DeliverAsync(HttpRequestMessage request)
    {
        var response = await _app!.Http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    private static async Task<bool> SaleRecordedAsync()
    {
        try
        {
            return await Azurite.Table(Automation.Inventory.SalesHistory.Table).QueryAsync<Azure.Data.Tables.TableEntity>().AnyAsync();
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }
    }

    private static Uri Relative(Uri link) => new(link.PathAndQuery.TrimStart('/'), UriKind.Relative);

    private static FormUrlEncodedContent OneClick() => new([KeyValuePair.Create("List-Unsubscribe", "One-Click")]);

    private static string Clip(string text) => text.Length > 400 ? text[..400] + " …" : text;

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")]
    private static partial Regex AnyEmailAddress();

    // ---------------------------------------------------------------- the platforms' answers

    private static void Program(FakePlatform platform)
    {
        var coupons = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var lookups = 0;
        platform.ShopifyAnswers();
        platform
            .OnGraphQLData("tagsAdd", v => new { tagsAdd = new { node = new { id = v.GetProperty("id").GetString() }, userErrors = Array.Empty<object>() } })
            .OnGraphQLData("tagsRemove", v => new { tagsRemove = new { node = new { id = v.GetProperty("id").GetString() }, userErrors = Array.Empty<object>() } })
            .ReturnOrder(() => ShopifyReturnAnswers.Order(OrderId, Returner, "Marisol Fairweather", "Lindengracht 77", "1015 KK",
                new ShopifyReturnLine(OrderLine, "Linen shirt - M", "SHIRT-M", 2, "40.00", "Shirts", ["summer"], ["new-in"])))
            .ReturnMutations();
        platform
            .On("GET", "/wp-json/wc/v3/products/*", _ => FakeResponse.Json(new { id = 11, stock_status = "instock" }))
            // The first coupon is made, but its answer is a 503 whose text quotes the customer; so are the answers to
            // the look-ups by its code (in a GET's query string) until the activity fails and Durable retries it (whose
            // worker logs the activity's exception); then the coupon is found and the flow goes on with it.
            .On("GET", "/wp-json/wc/v3/coupons", r =>
            {
                var code = System.Web.HttpUtility.ParseQueryString(r.Query)["code"] ?? "";
                if (Interlocked.Increment(ref lookups) <= 5)
                    return FakeResponse.Json(new { code = "internal_server_error", message = $"Lookup failed while mailing {WooBuyer} (Octavian Brightwater)", data = new { status = 503 } }, 503);
                lock (coupons) return FakeResponse.Json(coupons.TryGetValue(code, out var id) ? new[] { new { id, code = code.ToLowerInvariant() } } : []);
            })
            .On("POST", "/wp-json/wc/v3/coupons", r =>
            {
                var code = r.Json.GetProperty("code").GetString()!;
                lock (coupons)
                {
                    if (!coupons.TryAdd(code, 7001 + coupons.Count))
                        return FakeResponse.Json(new { code = "woocommerce_rest_coupon_code_already_exists", message = "The coupon code already exists", data = new { status = 400 } }, 400);
                    return coupons.Count == 1
                        ? FakeResponse.Json(new { code = "internal_server_error", message = $"Coupon saved, but the notice to {WooBuyer} (Octavian Brightwater) failed", data = new { status = 503 } }, 503)
                        : FakeResponse.Json(new { id = coupons[code], code = code.ToLowerInvariant() }, 201);
                }
            });
    }
}
