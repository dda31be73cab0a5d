using System.Net.Http.Json;
using System.Text.Json;
using Automation.AbandonedCart;
using Automation.Events;
using Automation.Flows;
using Automation.Tests.Infrastructure;

namespace Automation.Tests.AbandonedCart;

/// <summary>Builders and helpers shared by the recovery tests: valid defaults, real app, real queues.</summary>
internal static class RecoveryScenario
{
    public const string Store = "s1";

    public static void ShopifyStore(Dictionary<string, string?> c, FakePlatform fake, string store = Store)
    {
        c[$"Stores:{store}:Platform"] = "Shopify";
        c[$"Stores:{store}:ShopDomain"] = $"{store}.myshopify.com";
        c[$"Stores:{store}:WebhookSecret"] = TestSecrets.For("webhook-" + store);
        c[$"Stores:{store}:AdminApiBaseUrl"] = fake.ShopifyAdminApiBaseUrl;
        c[$"Stores:{store}:AccessToken"] = "shpat_test";
        c[$"Stores:{store}:Currency"] = "EUR";
    }

    public static void WooStore(Dictionary<string, string?> c, FakePlatform fake, string store = Store)
    {
        c[$"Stores:{store}:Platform"] = "WooCommerce";
        c[$"Stores:{store}:SiteUrl"] = $"https://{store}.example.test/";
        c[$"Stores:{store}:WebhookSecret"] = TestSecrets.For("webhook-" + store);
        c[$"Stores:{store}:AdminApiBaseUrl"] = fake.WooCommerceApiBaseUrl;
        c[$"Stores:{store}:ConsumerKey"] = "ck_test";
        c[$"Stores:{store}:ConsumerSecret"] = "cs_test";
        c[$"Stores:{store}:Currency"] = "USD";
    }

    /// <summary>Short real delays and no quiet hours, unless a test says otherwise.</summary>
    public static void FastFlows(Dictionary<string, string?> c, string reminder = "00:00:01", string coupon = "00:00:01.500")
    {
        c["AbandonedCart:ReminderDelay"] = reminder;
        c["AbandonedCart:CouponDelay"] = coupon;
        c["AbandonedCart:QuietHoursStart"] = "00:00:00";
        c["AbandonedCart:QuietHoursEnd"] = "00:00:00";
        c["AbandonedCart:PublicBaseUrl"] = "http://shop-automation.test";
        c["LocalHost:DrainTimeout"] = "00:00:00.500";
    }

    public static FakePlatform ShopifyAnswers(this FakePlatform fake, bool inStock = true)
    {
        var created = new HashSet<string>();
        fake.OnGraphQLData("CheckoutStock", v => new { nodes = v.GetProperty("ids").EnumerateArray().Select(id => new { id = id.GetString(), availableForSale = inStock }).ToArray() });
        fake.OnGraphQL("discountCodeBasicCreate", r => FakeResponse.Json(ShopifyDiscountAnswer(r, created)));
        return fake;
    }

    /// <summary>Shopify's answer to discountCodeBasicCreate: a node, or a TAKEN userError for a code that exists.</summary>
    public static object ShopifyDiscountAnswer(FakeRequest request, HashSet<string> created)
    {
        var code = request.Variables.GetProperty("basicCodeDiscount").GetProperty("code").GetString()!;
        lock (created)
        {
            return created.Add(code)
                ? new { data = new { discountCodeBasicCreate = new { codeDiscountNode = new { id = $"gid://shopify/DiscountCodeNode/{created.Count}" }, userErrors = Array.Empty<object>() } } }
                : new { data = new { discountCodeBasicCreate = new { codeDiscountNode = (object?)null, userErrors = new[] { new { field = new[] { "basicCodeDiscount", "code" }, code = "TAKEN", message = "Code must be unique. Please try a different code." } } } } };
        }
    }

    public static CheckoutStarted Checkout(string checkoutId = "tok-1", string email = "ada@example.test", long? customerId = 501, DateTimeOffset? at = null, string? eventId = null) => new()
    {
        Id = eventId ?? $"checkout:{checkoutId}:{(at ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds()}",
        StoreId = Store,
        OccurredAt = at ?? DateTimeOffset.UtcNow,
        CheckoutId = checkoutId,
        CustomerId = customerId,
        Email = email,
        FirstName = "Ada",
        AcceptsMarketing = true,
        RecoveryUrl = $"https://s1.myshopify.com/checkouts/{checkoutId}/recover",
        Currency = "EUR",
        TotalPrice = 59.90m,
        LineItems = [new LineItem(11, 111, "MUG-1", "Blue mug", 2, 14.95m), new LineItem(12, 121, "TEA-1", "Green tea", 1, 30.00m)],
    };

    public static OrderPlaced Order(string? checkoutId = "tok-1", string email = "ada@example.test", long? customerId = 501, params string[] discountCodes) => new()
    {
        Id = $"order-placed:{Random.Shared.Next()}",
        StoreId = Store,
        OccurredAt = DateTimeOffset.UtcNow,
        OrderId = 9001,
        OrderNumber = "#1001",
        CheckoutId = checkoutId,
        CustomerId = customerId,
        Email = email,
        Currency = "EUR",
        TotalPrice = 59.90m,
        DiscountCodes = discountCodes,
    };

    public static Task PublishAsync(this TestApp app, StoreEvent storeEvent) =>
        app.Services.GetRequiredService<EventPublisher>().PublishAsync(storeEvent, CancellationToken.None);

    /// <summary>The customer's flow: one orchestration instance per store and customer.</summary>
    public static string FlowId(string email = "ada@example.test", string store = Store) => RecoveryIds.InstanceId(store, RecoveryIds.CustomerKey(email));

    /// <summary>The coupon code a checkout's flow asks for (keyed from the flow run: instance + starting event).</summary>
    public static string CouponCodeFor(this TestApp app, CheckoutEvent checkout, string prefix = "BACK") =>
        CheckoutCoupons.CodeFor(app.Services.GetRequiredService<Automation.Runtime.SigningKeys>(), prefix, RecoveryIds.FlowId(FlowId(checkout.Email!, checkout.StoreId), checkout.Id));

    public static async Task<FlowView?> FlowAsync(this TestApp app, string flowId, string store = Store)
    {
        var response = await app.Admin.GetAsync(new Uri($"api/flows/{store}/{flowId}", UriKind.Relative));
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<FlowView>(Automation.Runtime.Json.Options) : null;
    }

    public static async Task<FlowView> WaitForFlowAsync(this TestApp app, string flowId, Func<FlowView, bool> condition, string what, TimeSpan? timeout = null)
    {
        FlowView? flow = null;
        await Eventually.Until(async () => (flow = await app.FlowAsync(flowId)) is { } f && condition(f), timeout ?? TimeSpan.FromSeconds(20), what);
        return flow!;
    }

    /// <summary>The customer's orchestration instance as Durable has it (null: none was ever started).</summary>
    public static Task<Microsoft.DurableTask.Client.OrchestrationMetadata?> InstanceAsync(this TestApp app, string flowId) =>
        app.Services.GetRequiredService<Microsoft.DurableTask.Client.DurableTaskClient>().GetInstanceAsync(flowId);

    /// <summary>How each ended flow of the store ended (one row per flow run).</summary>
    public static async Task<List<RecoveryOutcome>> OutcomesAsync(this TestApp app, string store = Store)
    {
        var list = new List<RecoveryOutcome>();
        await foreach (var outcome in app.Services.GetRequiredService<RecoveryOutcomes>().ForStoreAsync(store, CancellationToken.None)) list.Add(outcome);
        return list;
    }

    /// <summary>A header as sent (maildev parses List-* headers into objects, so read the raw message).</summary>
    public static async Task<string?> RawHeaderAsync(ReceivedEmail email, string name)
    {
        var source = await MailSink.SourceAsync(email.Id);
        var headers = source.Split("\r\n\r\n", 2)[0].Replace("\r\n ", " ", StringComparison.Ordinal).Replace("\r\n\t", " ", StringComparison.Ordinal);
        return headers.Split("\r\n").FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?[(name.Length + 1)..].Trim();
    }

    public static Task<IReadOnlyList<ReceivedEmail>> EmailsToAsync(string email) =>
        MailSink.AllAsync().ContinueWith(t => (IReadOnlyList<ReceivedEmail>)[.. t.Result.Where(m => m.ToAddress == email)], TaskScheduler.Default);
}

public sealed record FlowView(string FlowId, string Status, string RuntimeStatus, string Step, string? EndReason, int DefinitionVersion, List<FlowHistoryEntry> History)
{
    public bool Has(string step, string outcome) => History.Any(h => h.Step == step && h.Outcome == outcome);
}

public static class JsonElementExtensions
{
    public static string Str(this JsonElement element, string name) => element.GetProperty(name).GetString()!;
}
