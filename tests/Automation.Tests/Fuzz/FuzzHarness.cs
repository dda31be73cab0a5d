using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Automation.Events;
using Automation.Inventory;
using Automation.PublicEndpoints;
using Automation.Restock;
using Automation.Tests.Infrastructure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Automation.Tests.Fuzz;

/// <summary>What a fuzz run saw.</summary>
public sealed record FuzzReport(int Requests, TimeSpan Elapsed, IReadOnlyDictionary<int, int> ByStatus, IReadOnlyList<string> Failures, int SignupsAccepted)
{
    /// <summary>Large uploads the server answered and closed before the client finished sending (it then served a health check).</summary>
    public int ClosedEarly { get; init; }

    public int ServerErrors => ByStatus.Where(s => s.Key >= 500).Sum(s => s.Value);
    public double PerSecond => Requests / Elapsed.TotalSeconds;

    public string Summary() =>
        $"{Requests} requests in {Elapsed.TotalSeconds:0.0} s ({PerSecond:0} requests/s); by status: "
        + string.Join(", ", ByStatus.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))
        + $"; 5xx: {ServerErrors}; transport failures: {Failures.Count(f => f.StartsWith("transport", StringComparison.Ordinal))}"
        + $"; large uploads cut short by the server: {ClosedEarly}";
}

/// <summary>
/// Random and mutated requests against both webhook endpoints and every anonymous endpoint (and the operator
/// endpoints without their key), with a fixed seed so a failure can be replayed. Webhooks are never validly signed,
/// returns never name the right order with the right email and a line of it, and operator calls never carry the key:
/// none of them may store anything. Waitlist signups may be valid (the endpoint is open by design): each accepted one
/// may store exactly its own entry.
/// </summary>
public sealed class FuzzHarness : IAsyncDisposable
{
    public const string Store = "s1";
    public const string ShopDomain = "s1.myshopify.com";
    public const string WooSource = "https://w1.example.test/";
    public static readonly string Secret = TestSecrets.For("fuzz-webhook");
    public const string Customer = "ada@example.com";
    public const long OrderLine = 15012345678901;

    private static readonly string[] ShopifyFixtures = ["orders.create.json", "checkouts.create.json", "inventory_levels.update.json", "products.update.json", "returns.request.json", "customers.redact.json", "shop.redact.json"];
    private static readonly string[] WooFixtures = ["order.created.pending.json", "order.updated.paid.json", "product.updated.simple.json", "product.updated.variation.json"];

    private FuzzHarness(TestApp app, FakePlatform platform)
    {
        App = app;
        Platform = platform;
    }

    public TestApp App { get; }
    public FakePlatform Platform { get; }

    /// <summary>The app with a Shopify store (webhooks, waitlist, returns) and a WooCommerce store (webhooks), and MUG-BLUE sold out.</summary>
    public static async Task<FuzzHarness> StartAsync()
    {
        var platform = await FakePlatform.StartAsync();
        // The sold-out product gets its "sold out" tag; the returns lookup knows order #1042.
        platform.OnGraphQLData("tagsAdd", _ => new { tagsAdd = new { node = new { id = "gid://shopify/Product/100" }, userErrors = Array.Empty<object>() } });
        platform.OnGraphQLData("tagsRemove", _ => new { tagsRemove = new { node = new { id = "gid://shopify/Product/100" }, userErrors = Array.Empty<object>() } });
        platform.OnGraphQLData("query ReturnOrderByName", v => new { orders = new { nodes = v.GetProperty("query").GetString() == "name:\"#1042\"" ? new[] { Order() } : [] } });
        var app = await TestApp.StartAsync(s =>
        {
            s[$"Stores:{Store}:Platform"] = "Shopify";
            s[$"Stores:{Store}:ShopDomain"] = ShopDomain;
            s[$"Stores:{Store}:WebhookSecret"] = Secret;
            s[$"Stores:{Store}:AdminApiBaseUrl"] = platform.ShopifyAdminApiBaseUrl;
            s[$"Stores:{Store}:AccessToken"] = "shpat_fuzz";
            s[$"Stores:{Store}:Returns:Warehouses:0:Id"] = "ams";
            s[$"Stores:{Store}:Returns:Warehouses:0:Name"] = "Returns NL";
            s[$"Stores:{Store}:Returns:Warehouses:0:Line1"] = "Havenweg 4";
            s[$"Stores:{Store}:Returns:Warehouses:0:City"] = "Amsterdam";
            s[$"Stores:{Store}:Returns:Warehouses:0:PostalCode"] = "1000 AB";
            s[$"Stores:{Store}:Returns:Warehouses:0:CountryCode"] = "NL";
            s[$"Stores:{Store}:Restock:SignupsPerIpPerHour"] = "1000000";
            s[$"Stores:{Store}:Restock:SignupsPerEmailPerHour"] = "1000000";
            s[$"Stores:{Store}:Restock:SignupsPerVariantPerHour"] = "1000000";
            s["Stores:w1:Platform"] = "WooCommerce";
            s["Stores:w1:SiteUrl"] = WooSource;
            s["Stores:w1:WebhookSecret"] = Secret;
            s["Stores:w1:AdminApiBaseUrl"] = platform.WooCommerceApiBaseUrl;
            s["Stores:w1:ConsumerKey"] = "ck_fuzz";
            s["Stores:w1:ConsumerSecret"] = "cs_fuzz";
            // Deep paths rather than 429s: the limits are tested on their own; forwarding headers are parsed.
            s["PublicEndpoints:ReturnsPerClientPerHour"] = "1000000";
            s["PublicEndpoints:ReturnsPerOrderPerHour"] = "1000000";
            s["PublicEndpoints:ReadsPerClientPerHour"] = "1000000";
            s["PublicEndpoints:TrustedProxies:0"] = "127.0.0.1";
            s["Inventory:DefaultLowStockThreshold"] = "-1";
            // Nothing scheduled runs during the run: what changes in storage is what the requests did.
            s["AzureWebJobs.PurgeOldDeliveries.Disabled"] = "true";
            s["AzureWebJobs.SendLowStockDigest.Disabled"] = "true";
            s["AzureWebJobs.PurgePublicLimits.Disabled"] = "true";
        });

        await app.Services.GetRequiredService<EventPublisher>().PublishAsync(new ProductUpdated
        {
            Id = "fuzz-product",
            StoreId = Store,
            OccurredAt = DateTimeOffset.UtcNow,
            ProductId = 100,
            Title = "Mug",
            Url = $"https://{Store}.example.test/products/100",
            Status = "active",
            Variants = [new VariantSnapshot(11, "MUG-BLUE", "MUG-BLUE", null, 0, true, false, null, null, 10m)],
        }, CancellationToken.None);
        await Eventually.Until(async () => await Azurite.Table(InventoryView.Table).GetEntityIfExistsAsync<TableEntity>(Store, "11") is { HasValue: true } row
            && row.Value!.GetString("Pending") is null
            && await TestApp.CountMessagesAsync(Automation.Storage.QueueNames.InventoryEvents) == 0, TimeSpan.FromSeconds(30), "the fuzzed store's product to be known and acted on");
        return new FuzzHarness(app, platform);
    }

    private static object Order() => new
    {
        id = "gid://shopify/Order/6230184263752",
        legacyResourceId = "6230184263752",
        name = "#1042",
        email = Customer,
        createdAt = DateTimeOffset.UtcNow.AddDays(-12).ToString("O"),
        currencyCode = "EUR",
        customer = new { tags = Array.Empty<string>() },
        shippingAddress = new { name = "Ada Lovelace", company = (string?)null, address1 = "Keizersgracht 1", address2 = (string?)null, city = "Amsterdam", provinceCode = (string?)null, zip = "1015 AA", countryCodeV2 = "NL" },
        fulfillments = new[] { new { createdAt = DateTimeOffset.UtcNow.AddDays(-10).ToString("O"), deliveredAt = (string?)null, fulfillmentLineItems = new { nodes = new[] { new { id = "gid://shopify/FulfillmentLineItem/1", lineItem = new { id = $"gid://shopify/LineItem/{OrderLine}" } } } } } },
        lineItems = new
        {
            nodes = new[]
            {
                new
                {
                    id = $"gid://shopify/LineItem/{OrderLine}", name = "Linen shirt - M", sku = "SHIRT-M", quantity = 2,
                    originalUnitPriceSet = new { shopMoney = new { amount = "40.00" } }, discountedUnitPriceSet = new { shopMoney = new { amount = "40.00" } },
                    product = new { productType = "Shirts", tags = Array.Empty<string>(), collections = new { nodes = Array.Empty<object>() } },
                },
            },
        },
    };

    // ── The run ──

    public async Task<FuzzReport> RunAsync(int seed, int count, int concurrency, CancellationToken cancellationToken = default)
    {
        var statuses = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentQueue<string>();
        var signups = 0;
        var closedEarly = 0;
        var next = -1;
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, AllowAutoRedirect = false }) { BaseAddress = App.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var i && i < count && !cancellationToken.IsCancellationRequested)
            {
                // One generator per request: request i is the same whatever the concurrency.
                var fuzz = new Generator(new Random(HashCode.Combine(seed, i)), i);
                using var request = fuzz.Next(out var describe);
                try
                {
                    using var response = await http.SendAsync(request, cancellationToken);
                    var status = (int)response.StatusCode;
                    statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                    if (status >= 500) failures.Enqueue($"{status} for request {i} (seed {seed}): {describe}: {Trim(await response.Content.ReadAsStringAsync(cancellationToken))}");
                    if (status == 201 && describe.StartsWith("signup", StringComparison.Ordinal)) Interlocked.Increment(ref signups);
                }
                catch (HttpRequestException ex)
                {
                    // Kestrel may answer a request it refuses (a bad path, say) and close the connection while a large
                    // body is still being sent, as HTTP allows: the server is fine (it answers a health check), the
                    // client just could not finish sending.
                    if (request.Content?.Headers.ContentLength > 64 * 1024 && await HealthyAsync(http)) Interlocked.Increment(ref closedEarly);
                    else failures.Enqueue($"transport failure for request {i} (seed {seed}): {describe}: {ex.Message}");
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    failures.Enqueue($"transport timeout for request {i} (seed {seed}): {describe}");
                }
            }
        }));
        return new FuzzReport(Math.Min(count, next), clock.Elapsed, new SortedDictionary<int, int>(statuses), [.. failures], signups) { ClosedEarly = closedEarly };
    }

    private static async Task<bool> HealthyAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("api/health");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static string Trim(string text) => text.Length > 300 ? text[..300] + "…" : text;

    /// <summary>After the run: a signed delivery is taken, a signup works, the health check answers. Empty when all is well.</summary>
    public async Task<IReadOnlyList<string>> StillServingAsync()
    {
        var problems = new List<string>();
        var delivered = await App.Http.SendAsync(Deliveries.Shopify(ShopDomain, "orders/create", Deliveries.Fixture("shopify/orders.create.json"), Secret));
        if (delivered.StatusCode != System.Net.HttpStatusCode.OK) problems.Add($"a signed Shopify delivery got {(int)delivered.StatusCode}");
        var woo = await App.Http.SendAsync(Deliveries.WooCommerce(WooSource, "order.created", Deliveries.Fixture("woocommerce/order.created.pending.json"), Secret));
        if (woo.StatusCode != System.Net.HttpStatusCode.OK) problems.Add($"a signed WooCommerce delivery got {(int)woo.StatusCode}");
        var signup = await App.Http.PostAsync($"api/stores/{Store}/waitlist", new StringContent("""{"email":"after-the-fuzz@example.test","sku":"MUG-BLUE","consent":true}""", Encoding.UTF8, "application/json"));
        if (signup.StatusCode != System.Net.HttpStatusCode.Created) problems.Add($"a valid signup got {(int)signup.StatusCode}");
        var health = await App.Http.GetAsync("api/health");
        if (health.StatusCode != System.Net.HttpStatusCode.OK) problems.Add($"the health check got {(int)health.StatusCode}");
        return problems;
    }

    // ── Storage before and after ──

    /// <summary>
    /// Every table row (key and ETag), queue length and blob (name and ETag) the app could have written, except the
    /// rate limiter's counters (<see cref="PublicLimiter.Table"/>) and the waitlist's kept size (<c>c|count</c>), which
    /// any request may update, and the hosts' own leases: the Durable engine's partition leases (the task hub's
    /// <c>…Partitions</c> table, renewed every few seconds) and the lease and schedule blobs.
    /// </summary>
    public static async Task<HashSet<string>> SnapshotAsync()
    {
        var items = new HashSet<string>(StringComparer.Ordinal);
        var tables = new TableServiceClient(Azurite.ConnectionString);
        await foreach (var table in tables.QueryAsync())
        {
            if (table.Name == PublicLimiter.Table || table.Name.EndsWith("Partitions", StringComparison.Ordinal)) continue;
            await foreach (var row in tables.GetTableClient(table.Name).QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
            {
                if (table.Name == Waitlist.Table && row.RowKey == "c|count") continue;
                items.Add($"table {table.Name} {row.PartitionKey} {row.RowKey} {row.ETag}");
            }
        }

        var queues = new QueueServiceClient(Azurite.ConnectionString);
        await foreach (var queue in queues.GetQueuesAsync())
        {
            items.Add($"queue {queue.Name} {(await queues.GetQueueClient(queue.Name).GetPropertiesAsync()).Value.ApproximateMessagesCount}");
        }

        var blobs = new BlobServiceClient(Azurite.ConnectionString);
        await foreach (var container in blobs.GetBlobContainersAsync())
        {
            if (container.Name == "azure-webjobs-hosts" || container.Name.EndsWith("-leases", StringComparison.Ordinal)) continue;
            await foreach (var blob in blobs.GetBlobContainerClient(container.Name).GetBlobsAsync())
            {
                items.Add($"blob {container.Name}/{blob.Name} {blob.Properties.ETag}");
            }
        }

        return items;
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Platform.DisposeAsync();
    }

    /// <summary>Makes one request: an endpoint's valid seed, then random damage to its path, headers, body or signature.</summary>
    private sealed class Generator(Random random, int index)
    {
        private static readonly string[] AdminRoutes =
        [
            "admin/deliveries/s1", "admin/deliveries/s1/k1", "admin/deliveries/s1/k1/replay", "admin/poison/webhook-deliveries",
            "admin/poison/webhook-deliveries/replay?count=5", "admin/stores/s1/emails", "admin/stores/s1/emails/back-in-stock/preview",
            "admin/returns/s1", "admin/returns/s1/RMA-0000000/decision", "flows/s1/ac-s1-x", "stores/s1/stats",
            "admin/purchase-orders/s1",
        ];

        public HttpRequestMessage Next(out string describe)
        {
            var (method, path, body, headers, kind) = random.Next(20) switch
            {
                < 4 => ShopifyWebhook(),
                < 7 => WooWebhook(),
                < 10 => Signup(),
                < 11 => Size(),
                < 13 => WaitlistUnsubscribe(),
                < 16 => Return(),
                < 17 => CartUnsubscribe(),
                < 19 => Admin(),
                _ => Anything(),
            };

            if (random.Next(10) == 0) path = MutatePath(path);
            if (random.Next(25) == 0) method = Pick("PUT", "DELETE", "PATCH", "GET", "POST", "OPTIONS", "HEAD");
            var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (body is not null && method is not ("GET" or "HEAD"))
            {
                request.Content = new ByteArrayContent(body);
                var type = random.Next(8) switch
                {
                    0 => null,
                    1 => Pick("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/json; charset=utf-16", "application/xml", "*/*", "application/json; charset=nope"),
                    _ => "application/json",
                };
                if (type is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }

            foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
            if (random.Next(6) == 0) request.Headers.TryAddWithoutValidation("X-Forwarded-For", Pick("198.51.100.7", "garbage", "", "1.2.3.4:5, [2001:db8::1]:443", Ascii(random.Next(1, 80)), "::ffff:10.0.0.1, unknown"));
            if (random.Next(12) == 0) request.Headers.TryAddWithoutValidation("X-Azure-SocketIP", Pick("198.51.100.9", "x", Ascii(20)));
            if (random.Next(10) == 0) request.Headers.TryAddWithoutValidation(Pick("X-Fuzz", "Accept", "Accept-Encoding", "Cookie", "Authorization", "x-functions-key"), Ascii(random.Next(0, 200)));
            describe = $"{kind} {method} /{path} ({body?.Length ?? 0} bytes{(body is { Length: > 0 and <= 300 } ? ": " + System.Text.Json.JsonSerializer.Serialize(Encoding.UTF8.GetString(body), new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) : "")})";
            return request;
        }

        // ── Endpoints and their seeds ──

        private (string, string, byte[]?, List<(string, string)>, string) ShopifyWebhook()
        {
            var original = Encoding.UTF8.GetBytes(Deliveries.Fixture("shopify/" + Pick(ShopifyFixtures)));
            var body = random.Next(4) == 0 ? original : MutateBody(original);
            var headers = new List<(string, string)>
            {
                ("X-Shopify-Topic", random.Next(5) == 0 ? Ascii(random.Next(0, 40)) : Pick("orders/create", "checkouts/create", "inventory_levels/update", "returns/request", "customers/redact", "shop/redact", "app/uninstalled")),
                ("X-Shopify-Shop-Domain", random.Next(6) == 0 ? Ascii(random.Next(0, 60)) : ShopDomain),
                ("X-Shopify-Webhook-Id", $"wh-{index}"),
                ("X-Shopify-Event-Id", random.Next(5) == 0 ? Ascii(random.Next(0, 300)) : $"evt-{index}"),
                ("X-Shopify-API-Version", "2025-10"),
            };
            if (BadSignature(original, body) is { } signature) headers.Add(("X-Shopify-Hmac-Sha256", signature));
            return ("POST", "api/webhooks/shopify", body, headers, "shopify-webhook");
        }

        private (string, string, byte[]?, List<(string, string)>, string) WooWebhook()
        {
            if (random.Next(8) == 0)
            {
                // The unsigned creation ping, and things that look like it.
                var ping = Encoding.UTF8.GetBytes(Pick("webhook_id=12", "webhook_id=", "webhook_id=abc&x=1", "webhook_id=" + new string('9', 400)));
                return ("POST", "api/webhooks/woocommerce", ping, [("X-WC-Webhook-Source", WooSource)], "woo-ping");
            }

            var original = Encoding.UTF8.GetBytes(Deliveries.Fixture("woocommerce/" + Pick(WooFixtures)));
            var body = random.Next(4) == 0 ? original : MutateBody(original);
            var topic = Pick("order.created", "order.updated", "product.updated", "coupon.created", Ascii(12));
            var headers = new List<(string, string)>
            {
                ("X-WC-Webhook-Source", random.Next(6) == 0 ? Ascii(random.Next(0, 60)) : WooSource),
                ("X-WC-Webhook-Topic", topic),
                ("X-WC-Webhook-Resource", topic.Split('.')[0]),
                ("X-WC-Webhook-Event", topic.Split('.')[^1]),
                ("X-WC-Webhook-ID", "42"),
                ("X-WC-Webhook-Delivery-ID", Ascii(random.Next(0, 40))),
            };
            if (BadSignature(original, body) is { } signature) headers.Add(("X-WC-Webhook-Signature", signature));
            return ("POST", "api/webhooks/woocommerce", body, headers, "woo-webhook");
        }

        private (string, string, byte[]?, List<(string, string)>, string) Signup()
        {
            var seed = new JsonObject
            {
                ["email"] = $"fuzz-{index}@example.test",
                ["sku"] = Pick("MUG-BLUE", "mug-blue", "NOPE"),
                ["consent"] = true,
                ["firstName"] = Pick("Ada", "Zoë", "<script>alert(1)</script>", "{{ store.name }}"),
            };
            if (random.Next(3) == 0)
            {
                seed.Remove("sku");
                seed["variantId"] = Pick<long>(11, 12, -1, 0, long.MaxValue);
            }

            return ("POST", $"api/stores/{StoreId()}/waitlist", MutateJson(seed), [], "signup");
        }

        private (string, string, byte[]?, List<(string, string)>, string) Size() =>
            ("GET", $"api/stores/{StoreId()}/waitlist/{Uri.EscapeDataString(Pick("MUG-BLUE", "NOPE", Unicode(random.Next(1, 40)), new string('A', random.Next(90, 300)), "'", "a' or 'b'='b"))}", null, [], "size");

        private (string, string, byte[]?, List<(string, string)>, string) WaitlistUnsubscribe()
        {
            var query = $"?v={Uri.EscapeDataString(Pick("11", "-1", "99999999999999999999", "x", ""))}&s={Uri.EscapeDataString(Pick("q|0000000000000000001|abc", "e|x", Unicode(10), "", "q|" + new string('9', 500), "q|" + Unicode(random.Next(1, 12)), "q|a/b", "q|#1", "q|?", "q|" + new string('x', 1100)))}&t={Uri.EscapeDataString(Ascii(random.Next(0, 64)))}";
            return (Pick("GET", "POST"), $"api/stores/{(random.Next(3) == 0 ? StoreId() : Store)}/waitlist/unsubscribe{query}", Encoding.UTF8.GetBytes("List-Unsubscribe=One-Click"), [], "waitlist-unsubscribe");
        }

        private (string, string, byte[]?, List<(string, string)>, string) Return()
        {
            // Never the right order with the right email and a line of it: these requests must store nothing.
            var (order, email, line) = random.Next(3) switch
            {
                0 => ("#1042", $"guess-{index}@example.com", OrderLine),
                1 => (Pick("#9999", "#10420", "1043", "#", Unicode(8)), Customer, OrderLine),
                _ => ("#1042", Customer, 42L),
            };
            var seed = new JsonObject
            {
                ["orderNumber"] = order,
                ["email"] = email,
                ["wish"] = Pick("refund", "store_credit", "exchange", "Refund", "money back"),
                ["items"] = new JsonArray(new JsonObject { ["lineItemId"] = line, ["quantity"] = 1, ["reason"] = "size_too_small", ["note"] = "n" }),
            };
            return ("POST", $"api/stores/{(random.Next(8) == 0 ? StoreId() : Store)}/returns", MutateJson(seed), [], "return");
        }

        private (string, string, byte[]?, List<(string, string)>, string) CartUnsubscribe() =>
            (Pick("GET", "POST"), $"api/unsubscribe?token={Uri.EscapeDataString(Pick(Ascii(random.Next(0, 200)), "", "a.b", Convert.ToBase64String(RandomBytes(48))))}", Encoding.UTF8.GetBytes("List-Unsubscribe=One-Click"), [], "cart-unsubscribe");

        private (string, string, byte[]?, List<(string, string)>, string) Admin()
        {
            List<(string, string)> headers = random.Next(2) == 0 ? [("x-functions-key", Ascii(random.Next(0, 64)))] : [];
            var body = MutateJson(new JsonObject { ["decision"] = "approve", ["reason"] = "r", ["fee"] = 1 });
            return (Pick("GET", "POST"), "api/" + Pick(AdminRoutes) + (random.Next(4) == 0 ? "?code=" + Ascii(20) : ""), body, headers, "operator-without-key");
        }

        private (string, string, byte[]?, List<(string, string)>, string) Anything() =>
            (Pick("GET", "POST"), "api/" + string.Join('/', Enumerable.Range(0, random.Next(0, 5)).Select(_ => Uri.EscapeDataString(Unicode(random.Next(1, 20))))), RandomBytes(random.Next(0, 2000)), [], "anything");

        // ── Damage ──

        private string StoreId() => random.Next(6) switch
        {
            0 => Uri.EscapeDataString(Unicode(random.Next(1, 30))),
            1 => Pick("w1", "nowhere", "S1", "s1%00", new string('s', 300)),
            _ => Store,
        };

        /// <summary>Never a valid signature for <paramref name="body"/>: none, random, another secret's, the original body's, malformed.</summary>
        private string? BadSignature(byte[] original, byte[] body)
        {
            var changed = !original.AsSpan().SequenceEqual(body);
            return random.Next(8) switch
            {
                0 => null,
                1 => "",
                2 => Convert.ToBase64String(RandomBytes(32)),
                3 => Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes("not-the-secret"), body)),
                4 when changed => Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), original)),
                5 => Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes("not-the-secret"), body)),
                6 => Ascii(random.Next(0, 200)),
                _ => Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), body))[..^4] + "AAA=",
            };
        }

        private byte[] MutateJson(JsonObject seed)
        {
            if (random.Next(12) == 0) return Encoding.UTF8.GetBytes(Pick("null", "[]", "{}", "\"text\"", "1", "true", "[null]", "{\"items\":null}", "{\"items\":[null]}", "{\"items\":[{}]}"));
            var mutations = random.Next(0, 4);
            for (var m = 0; m < mutations; m++)
            {
                // An element of an array becomes something else (null, an empty object, a number …).
                if (random.Next(4) == 0 && Nodes(seed).OfType<JsonArray>().FirstOrDefault(a => a.Count > 0) is { } array)
                {
                    array[random.Next(array.Count)] = Pick<Func<JsonNode?>>(() => null, () => new JsonObject(), () => JsonValue.Create(1), () => new JsonArray(), () => RandomValue(1))();
                    continue;
                }

                var target = Nodes(seed).Where(n => n is JsonObject).Cast<JsonObject>().ToList();
                var node = target[random.Next(target.Count)];
                var names = node.Select(p => p.Key).ToList();
                switch (random.Next(4))
                {
                    case 0 when names.Count > 0:
                        node.Remove(names[random.Next(names.Count)]);
                        break;
                    case 1:
                        node[Pick("extra", "__proto__", "email", "Email", Unicode(5))] = RandomValue(0);
                        break;
                    default:
                        if (names.Count > 0) node[names[random.Next(names.Count)]] = RandomValue(0);
                        break;
                }
            }

            var bytes = Encoding.UTF8.GetBytes(seed.ToJsonString());
            return random.Next(4) == 0 ? MutateBody(bytes) : bytes;
        }

        private static IEnumerable<JsonNode> Nodes(JsonNode node)
        {
            yield return node;
            var children = node switch
            {
                JsonObject o => o.Select(p => p.Value),
                JsonArray a => a.AsEnumerable(),
                _ => [],
            };
            foreach (var child in children)
            {
                if (child is null) continue;
                foreach (var inner in Nodes(child)) yield return inner;
            }
        }

        private JsonNode? RandomValue(int depth) => random.Next(depth > 2 ? 6 : 9) switch
        {
            0 => null,
            1 => JsonValue.Create(Pick(true, false)),
            2 => JsonValue.Create(Pick<long>(0, -1, 1, 2, 42, int.MaxValue, (long)int.MaxValue + 1, long.MinValue, long.MaxValue)),
            3 => JsonValue.Create(Pick(0.5, -0.0, 1e308, double.Epsilon, 3.14)),
            4 => JsonValue.Create(Unicode(random.Next(0, 60))),
            5 => JsonValue.Create(Pick("", " ", "a@b", "a@b.c", "@", "x@example.test\n", new string('x', random.Next(200, 5000)), "\u0000", "#1043", "refund")),
            6 => new JsonArray([.. Enumerable.Range(0, random.Next(0, 4)).Select(_ => RandomValue(depth + 1))]),
            _ => new JsonObject(Enumerable.Range(0, random.Next(0, 4)).Select(i => new KeyValuePair<string, JsonNode?>(Pick("lineItemId", "quantity", "a", Unicode(4)) + i, RandomValue(depth + 1)))),
        };

        private byte[] MutateBody(byte[] body)
        {
            var bytes = new List<byte>(body);
            var mutations = random.Next(1, 5);
            for (var m = 0; m < mutations; m++)
            {
                switch (random.Next(9))
                {
                    case 0 when bytes.Count > 0:
                        bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                        break;
                    case 1 when bytes.Count > 0:
                        var cut = random.Next(bytes.Count);
                        bytes.RemoveRange(cut, bytes.Count - cut);
                        break;
                    case 2:
                        bytes.InsertRange(random.Next(bytes.Count + 1), Encoding.UTF8.GetBytes(Pick("{", "}", "[", "]", "\"", ",", ":", "null", "1e999", "-", "\\u0000", "\\ud800", "\u00e9")));
                        break;
                    case 3:
                        bytes.InsertRange(random.Next(bytes.Count + 1), new byte[] { 0xC3, 0x28, 0xFF, 0xFE, 0x00 }.Take(random.Next(1, 6)));
                        break;
                    case 4 when bytes.Count > 2:
                        var start = random.Next(bytes.Count);
                        var length = Math.Min(random.Next(1, 200), bytes.Count - start);
                        bytes.InsertRange(random.Next(bytes.Count + 1), bytes.GetRange(start, length));
                        break;
                    case 5:
                        return RandomBytes(random.Next(0, 4000));
                    case 6:
                        var depth = random.Next(10, 3000);
                        return Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', random.Next(2) == 0 ? depth : 0));
                    case 7:
                        return random.Next(10) == 0 ? new byte[random.Next(1_048_577, 1_300_000)] : Encoding.UTF8.GetBytes("{\"a\":\"" + new string('x', random.Next(10_000, 300_000)) + "\"}");
                    default:
                        return [];
                }
            }

            return [.. bytes];
        }

        private string MutatePath(string path)
        {
            var q = path.IndexOf('?', StringComparison.Ordinal);
            var query = q >= 0 ? path[q..] : "";
            var segments = (q >= 0 ? path[..q] : path).Split('/').ToList();
            var at = random.Next(segments.Count);
            segments[at] = random.Next(3) switch
            {
                0 => Uri.EscapeDataString(Unicode(random.Next(1, 30))),
                1 => "",
                _ => segments[at] + "%20",
            };
            return string.Join('/', segments) + (random.Next(3) == 0 ? "?" + Uri.EscapeDataString(Ascii(10)) + "=" + Uri.EscapeDataString(Unicode(10)) : query);
        }

        private byte[] RandomBytes(int length)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            return bytes;
        }

        /// <summary>Printable ASCII: what a header value may hold.</summary>
        private string Ascii(int length) => new([.. Enumerable.Range(0, length).Select(_ => (char)random.Next(0x20, 0x7F))]);

        /// <summary>Any text, including lone surrogates, control characters and the characters storage keys refuse.</summary>
        private string Unicode(int length) => new([.. Enumerable.Range(0, length).Select(_ => random.Next(6) switch
        {
            0 => (char)random.Next(0, 0x20),
            1 => (char)random.Next(0xD800, 0xE000),
            2 => Pick('/', '\\', '#', '?', '%', '\'', '"', '|', '.', '~'),
            _ => (char)random.Next(0x20, 0x3000),
        })]);

        private T Pick<T>(params T[] options) => options[random.Next(options.Length)];
    }
}
