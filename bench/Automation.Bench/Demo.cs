using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Automation.AbandonedCart;
using Automation.Tests.Infrastructure;

namespace Automation.Bench;

/// <summary>run.sh's demo: a stand-in for the demo stores' platform APIs, and a sender of signed demo deliveries.</summary>
public static class Demo
{
    private const string ShopDomain = "demo-store.myshopify.com";
    // The demo stores' webhook secrets: run.sh makes them once (.local/secrets.env) and hands them to the app and to this sender.
    private static string ShopSecret => Setting("Stores__demo-shopify__WebhookSecret");
    private const string WooSource = "https://demo-woo.example.com/";
    private static string WooSecret => Setting("Stores__demo-woo__WebhookSecret");
    private const string Shop = "demo-shopify";
    private const string ShopifyCheckoutEmail = "ann.buyer@example.com"; // shopify/checkouts.create.json
    private const long MugGreenInventoryItem = 50317562216520;
    private const long MugBlueInventoryItem = 50317562183752;
    private const long Warehouse = 78901234567;

    /// <summary>The emails the demo causes: the reminder and coupon of both checkouts, the low-stock alert and PO,
    /// "pause ads" and "ads can resume" to marketing, the waitlist email and two per return.</summary>
    private const int ExpectedEmails = 13;

    /// <summary>Serves the Shopify GraphQL and WooCommerce REST calls the automations make, in their documented formats, until stopped.</summary>
    public static async Task PlatformAsync(string[] args)
    {
        var port = int.Parse(args[0], CultureInfo.InvariantCulture);
        await using var platform = await FakePlatform.StartAsync(port);
        DemoPlatform.Configure(platform);
        Console.WriteLine($"Platform stand-in listening on {platform.BaseAddress}");
        await platform.WaitForShutdownAsync();
    }

    public static async Task SendAsync(string[] args)
    {
        var app = new Uri(args[0].TrimEnd('/') + "/");
        var mail = new Uri((args.Length > 1 ? args[1] : "http://127.0.0.1:1080").TrimEnd('/') + "/");
        var adminKey = args.Length > 2 ? args[2] : Setting("Admin__ApiKey");
        using var http = new HttpClient { BaseAddress = app, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("x-functions-key", adminKey);
        using var maildev = new HttpClient { BaseAddress = mail, Timeout = TimeSpan.FromSeconds(10) };
        var started = DateTimeOffset.UtcNow;
        var now = started.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture);
        var problems = new List<string>();

        async Task<HttpStatusCode> Send(string label, HttpRequestMessage request, HttpStatusCode expected = HttpStatusCode.OK)
        {
            using var response = await http.SendAsync(request);
            var ok = response.StatusCode == expected || (expected == HttpStatusCode.OK && response.IsSuccessStatusCode);
            Console.WriteLine($"    {(int)response.StatusCode} {label}{(ok ? "" : $"  (expected {(int)expected})")}");
            if (!ok) problems.Add($"{label}: {(int)response.StatusCode}");
            return response.StatusCode;
        }

        Step("1. The catalogue: Shopify products/update (ceramic mug: MUG-BLUE 3 left, MUG-GREEN sold out)");
        var product = JsonNode.Parse(Deliveries.Fixture("shopify/products.update.json"))!;
        product["updated_at"] = now;
        foreach (var variant in product["variants"]!.AsArray())
        {
            variant!["updated_at"] = now;
            if ((string?)variant["sku"] == "MUG-GREEN") variant["inventory_policy"] = "deny";
        }

        await Send("products/update", Deliveries.Shopify(ShopDomain, "products/update", product.ToJsonString(), ShopSecret));
        var order = JsonNode.Parse(Deliveries.Fixture("shopify/orders.create.json"))!;
        order["id"] = 6230184263700;
        order["admin_graphql_api_id"] = "gid://shopify/Order/6230184263700";
        order["name"] = "#1041";
        order["order_number"] = 1041;
        foreach (var field in new[] { "email", "contact_email" }) order[field] = "cy.regular@example.com";
        foreach (var field in new[] { "checkout_id", "checkout_token", "cart_token", "token" }) order[field] = null;
        foreach (var field in new[] { "created_at", "processed_at", "updated_at" }) order[field] = now;
        order["discount_codes"] = new JsonArray();
        order["line_items"]![0]!["quantity"] = 6;
        order["line_items"]![0]!["id"] = 15012345678900;
        order["customer"] = JsonNode.Parse("""{"id": 7654321098765000, "email": "cy.regular@example.com", "first_name": "Cy", "last_name": "Regular"}""");
        await Send("orders/create #1041 (6 blue mugs from another customer: the sales the reorder is computed from)", Deliveries.Shopify(ShopDomain, "orders/create", order.ToJsonString(), ShopSecret));

        Step("2. Abandoned checkouts → reminder after 10 s, coupon 20 s later (both stores)");
        await Send("Shopify checkouts/create (ann.buyer@example.com, 2 blue mugs, consent given)", Deliveries.Shopify(ShopDomain, "checkouts/create", Deliveries.Fixture("shopify/checkouts.create.json"), ShopSecret));
        await Send("WooCommerce order.created, status pending (bo.shopper@example.com, order 727)", Deliveries.WooCommerce(WooSource, "order.created", Deliveries.Fixture("woocommerce/order.created.pending.json"), WooSecret));

        Step("3. Low stock: inventory_levels/update drops MUG-BLUE to 2 (threshold 2) → ops alert, \"low stock\" tag, PO to the supplier");
        await Send("inventory_levels/update MUG-BLUE → 2", Deliveries.Shopify(ShopDomain, "inventory_levels/update", Level(MugBlueInventoryItem, 2), ShopSecret));

        Step("4. Back in stock: a waitlist signup for the sold-out MUG-GREEN, then a restock → waitlist email");
        // The restock waits until the sell-out has been acted on (marketing told to pause ads), as it would in a real store.
        var paused = await WaitForEmailAsync(maildev, "please pause ads", TimeSpan.FromSeconds(20));
        Console.WriteLine(paused ? "    MUG-GREEN is sold out: marketing was asked to pause its ads" : "    (no \"pause ads\" email yet)");
        var signup = await SignupAsync(http);
        Console.WriteLine($"    {(int)signup} POST api/stores/{Shop}/waitlist (sku MUG-GREEN, consent: true)");
        if (signup is not (HttpStatusCode.Created or HttpStatusCode.OK)) problems.Add($"waitlist signup: {(int)signup}");
        await Send("inventory_levels/update MUG-GREEN → 4 (restock)", Deliveries.Shopify(ShopDomain, "inventory_levels/update", Level(MugGreenInventoryItem, 4), ShopSecret));

        Step("5. Self-service returns (Shopify order #1042, WooCommerce order 727) → label, customer email (PDF attached), warehouse email");
        using (var response = await http.PostAsJsonAsync($"api/stores/{Shop}/returns", new
        {
            orderNumber = "#1042",
            email = "ann.buyer@example.com",
            wish = "refund",
            items = new[] { new { lineItemId = DemoPlatform.OrderLineId, quantity = 1, reason = "size_too_small", note = "A bit small for my coffee" } },
        }))
        {
            await ReportReturnAsync(response, Shop, problems);
        }

        using (var response = await http.PostAsJsonAsync("api/stores/demo-woo/returns", new
        {
            orderNumber = "727",
            email = "bo.shopper@example.com",
            wish = "refund",
            items = new[] { new { lineItemId = 316L, quantity = 1, reason = "not_as_described", note = "The colour is off" } },
        }))
        {
            await ReportReturnAsync(response, "demo-woo", problems);
        }

        Step("6. A forged delivery (signed with the wrong secret) is refused");
        await Send("Shopify orders/create signed with a wrong secret", Deliveries.Shopify(ShopDomain, "orders/create", Deliveries.Fixture("shopify/orders.create.json"), "not-the-secret"), HttpStatusCode.Unauthorized);

        Step($"7. Waiting for the emails (maildev {mail}; up to 90 s)");
        var emails = await WaitForEmailsAsync(maildev, started);
        Console.WriteLine();
        Console.WriteLine($"    {"Subject",-64} {"To",-28} Attachments");
        foreach (var email in emails)
        {
            Console.WriteLine($"    {Clip(email.Subject, 64),-64} {Clip(email.To, 28),-28} {email.Attachments}");
        }

        if (emails.Count < ExpectedEmails) problems.Add($"{emails.Count} of {ExpectedEmails} emails arrived");

        Step("8. The Shopify checkout's recovery flow (GET api/flows/{store}/{flowId})");
        // One flow per store and customer: the instance id comes from the checkout's email.
        var flowId = RecoveryIds.InstanceId(Shop, RecoveryIds.CustomerKey(ShopifyCheckoutEmail));
        using (var response = await http.GetAsync($"api/flows/{Shop}/{flowId}"))
        {
            if (!response.IsSuccessStatusCode)
            {
                Console.WriteLine($"    {(int)response.StatusCode} (no flow)");
                problems.Add($"flow: {(int)response.StatusCode}");
            }
            else
            {
                var flow = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                Console.WriteLine($"    {flow.GetProperty("definition").GetString()} {flowId}: {flow.GetProperty("status")}, step {Text(flow, "step")}{(Text(flow, "endReason") is { Length: > 0 } reason ? $", ended: {reason}" : "")}");
                foreach (var entry in flow.GetProperty("history").EnumerateArray())
                {
                    Console.WriteLine($"      {string.Join("  ", entry.EnumerateObject().Where(p => p.Value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Object or JsonValueKind.Array)).Select(p => Clip(p.Value.ToString(), 60)))}");
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine(problems.Count == 0
            ? "Demo done: every step did what it should. The platform calls the automations made are in .local/platform.log."
            : "Demo finished with problems: " + string.Join("; ", problems) + " (see .local/app.log and .local/platform.log).");
        if (problems.Count > 0) Environment.ExitCode = 1;
    }

    private static async Task ReportReturnAsync(HttpResponseMessage response, string store, List<string> problems)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK)
        {
            var r = JsonDocument.Parse(body).RootElement;
            Console.WriteLine($"    {(int)response.StatusCode} POST api/stores/{store}/returns → {r.GetProperty("rma").GetString()}: {r.GetProperty("outcome").GetString()} ({r.GetProperty("rule").GetString()}), fee {r.GetProperty("fee").GetDecimal()} {r.GetProperty("currency").GetString()}");
        }
        else
        {
            Console.WriteLine($"    {(int)response.StatusCode} POST api/stores/{store}/returns: {body}");
            problems.Add($"{store} return: {(int)response.StatusCode}");
        }
    }

    private static string Setting(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : throw new InvalidOperationException($"{name} is not set (run.sh makes it, in .local/secrets.env).");

    private static void Step(string title)
    {
        Console.WriteLine();
        Console.WriteLine(title);
    }

    private static string Level(long inventoryItem, int available) => JsonSerializer.Serialize(new
    {
        inventory_item_id = inventoryItem,
        location_id = Warehouse,
        available,
        updated_at = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
        admin_graphql_api_id = $"gid://shopify/InventoryLevel/{Warehouse}?inventory_item_id={inventoryItem}",
    });

    /// <summary>Signs up for MUG-GREEN; the product only becomes known once products/update has been consumed, so an "unknown SKU" is retried for a while.</summary>
    private static async Task<HttpStatusCode> SignupAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            using var response = await http.PostAsJsonAsync($"api/stores/{Shop}/waitlist", new { email = "dee.waiting@example.com", sku = "MUG-GREEN", consent = true, firstName = "Dee", consentText = "Email me when it is back" });
            if (response.StatusCode != HttpStatusCode.BadRequest || DateTime.UtcNow > deadline) return response.StatusCode;
            await Task.Delay(500);
        }
    }

    private static async Task<bool> WaitForEmailAsync(HttpClient maildev, string subject, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var all = await maildev.GetFromJsonAsync<JsonElement>("api/email");
            if (all.EnumerateArray().Any(e => Text(e, "subject")?.Contains(subject, StringComparison.Ordinal) == true)) return true;
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(250);
        }
    }

    private sealed record Email(string Subject, string To, string Attachments);

    private static async Task<List<Email>> WaitForEmailsAsync(HttpClient maildev, DateTimeOffset started)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        var seen = new List<Email>();
        while (true)
        {
            JsonElement all;
            try
            {
                all = await maildev.GetFromJsonAsync<JsonElement>("api/email");
            }
            catch (HttpRequestException ex)
            {
                Console.WriteLine($"    maildev did not answer: {ex.Message}");
                return seen;
            }

            foreach (var email in all.EnumerateArray().Skip(seen.Count))
            {
                var to = string.Join(", ", email.GetProperty("to").EnumerateArray().Select(t => t.GetProperty("address").GetString()));
                var attachments = email.TryGetProperty("attachments", out var a) && a.ValueKind == JsonValueKind.Array
                    ? string.Join(", ", a.EnumerateArray().Select(x => Text(x, "filename") ?? Text(x, "fileName") ?? Text(x, "generatedFileName")))
                    : "";
                var item = new Email(Text(email, "subject") ?? "", to, attachments);
                seen.Add(item);
                Console.WriteLine($"    +{(DateTimeOffset.UtcNow - started).TotalSeconds,3:0}s  {Clip(item.Subject, 60)} → {to}");
            }

            if (seen.Count >= ExpectedEmails || DateTime.UtcNow > deadline) return seen;
            await Task.Delay(1000);
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Clip(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
