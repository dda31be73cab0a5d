using System.Net.Http.Json;
using System.Text.Json;
using Automation.Tests.Infrastructure;

namespace Automation.Bench;

/// <summary>run.sh's demo: a stand-in for the demo stores' platform APIs, and a sender of signed demo deliveries.</summary>
public static class Demo
{
    private const string ShopDomain = "demo-store.myshopify.com";
    private const string ShopSecret = "demo-shopify-secret";
    private const string WooSource = "https://demo-woo.example.com/";
    private const string WooSecret = "demo-woo-secret";

    /// <summary>Serves the Shopify GraphQL and WooCommerce REST calls the automations make, in their documented formats, until stopped.</summary>
    public static async Task PlatformAsync(string[] args)
    {
        var port = int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture);
        await using var platform = await FakePlatform.StartAsync(port);
        DemoPlatform.Configure(platform);
        Console.WriteLine($"Platform stand-in listening on {platform.BaseAddress}");
        await platform.WaitForShutdownAsync();
    }

    public static async Task SendAsync(string[] args)
    {
        var app = new Uri(args[0].TrimEnd('/') + "/");
        var adminKey = args.Length > 2 ? args[2] : "local-admin-key";
        using var http = new HttpClient { BaseAddress = app };
        http.DefaultRequestHeaders.Add("x-functions-key", adminKey);

        var sends = new (string Label, HttpRequestMessage Request)[]
        {
            ("Shopify products/update (inventory-item map)", Deliveries.Shopify(ShopDomain, "products/update", Deliveries.Fixture("shopify/products.update.json"), ShopSecret)),
            ("Shopify checkouts/create (abandoned checkout)", Deliveries.Shopify(ShopDomain, "checkouts/create", Deliveries.Fixture("shopify/checkouts.create.json"), ShopSecret)),
            ("Shopify inventory_levels/update", Deliveries.Shopify(ShopDomain, "inventory_levels/update", Deliveries.Fixture("shopify/inventory_levels.update.json"), ShopSecret)),
            ("Shopify returns/request", Deliveries.Shopify(ShopDomain, "returns/request", Deliveries.Fixture("shopify/returns.request.json"), ShopSecret)),
            ("WooCommerce order.created (pending: abandoned checkout)", Deliveries.WooCommerce(WooSource, "order.created", Deliveries.Fixture("woocommerce/order.created.pending.json"), WooSecret)),
            ("WooCommerce product.updated (variation stock)", Deliveries.WooCommerce(WooSource, "product.updated", Deliveries.Fixture("woocommerce/product.updated.variation.json"), WooSecret)),
            ("A forged Shopify delivery (wrong secret)", Deliveries.Shopify(ShopDomain, "orders/create", Deliveries.Fixture("shopify/orders.create.json"), "not-the-secret")),
        };
        foreach (var (label, request) in sends)
        {
            using var response = await http.SendAsync(request);
            Console.WriteLine($"  {(int)response.StatusCode} {label}");
        }

        Console.WriteLine();
        Console.WriteLine("What became of them (GET /api/admin/deliveries/{store}):");
        foreach (var store in new[] { "demo-shopify", "demo-woo" })
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            JsonElement rows;
            do
            {
                rows = await http.GetFromJsonAsync<JsonElement>($"api/admin/deliveries/{store}");
                if (rows.EnumerateArray().All(r => r.GetProperty("status").GetString() != "Received")) break;
                await Task.Delay(200);
            }
            while (DateTime.UtcNow < deadline);

            foreach (var row in rows.EnumerateArray())
            {
                Console.WriteLine($"  {store,-13} {row.GetProperty("topic").GetString(),-26} {row.GetProperty("status").GetString(),-10} events: {(row.TryGetProperty("eventCount", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : 0)}");
            }
        }

        Console.WriteLine();
        Console.WriteLine("The automations run on those events; watch the emails arrive in maildev and the calls in .local/platform.log.");
    }
}

/// <summary>Default answers of the demo platform stand-in, one per API call an automation makes.</summary>
public static class DemoPlatform
{
    public static void Configure(FakePlatform platform)
    {
        platform.On("GET", "/", _ => FakeResponse.Json(new { ok = true }));
    }
}
