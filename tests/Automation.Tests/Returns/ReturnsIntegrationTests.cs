using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Automation.Flows;
using Automation.Returns;
using Automation.Returns.Labels;
using Automation.Tests.Infrastructure;
using Azure.Data.Tables;
using Microsoft.DurableTask.Client;

namespace Automation.Tests.Returns;

/// <summary>
/// The returns automation end to end: the real app over HTTP against Azurite, the maildev SMTP sink, and a fake
/// Shopify/WooCommerce speaking their wire formats; decisions are carried out by the CarryOutReturnV1 orchestration
/// on the real Durable Task engine. What is asserted is what a merchant would see: the calls at the platform, the
/// label in Blob storage, the emails in the inbox, the return's row and its flow's history.
/// </summary>
[NonParallelizable]
public sealed class ReturnsIntegrationTests
{
    private const string ShopDomain = "returns-shop.myshopify.com";
    private static readonly string ShopSecret = TestSecrets.For("webhook-returns-shop");
    private const string Customer = "ada@example.com";
    private const long OrderId = 6230184263752;
    private const long ShirtLine = 15012345678901;
    private const long ShoesLine = 15012345678902;

    private FakePlatform _platform = null!;
    private TestApp _app = null!;
    private bool _finalSale;

    [SetUp]
    public async Task SetUp()
    {
        _finalSale = false;
        await MailSink.ClearAsync();
        _platform = await FakePlatform.StartAsync();
        ProgramShopify();
        ProgramWooCommerce();
        _app = await TestApp.StartAsync(Configure);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _app.DisposeAsync();
        await _platform.DisposeAsync();
    }

    private void Configure(Dictionary<string, string?> s)
    {
        s["Stores:shop:Platform"] = "Shopify";
        s["Stores:shop:ShopDomain"] = ShopDomain;
        s["Stores:shop:WebhookSecret"] = ShopSecret;
        s["Stores:shop:AdminApiBaseUrl"] = _platform.ShopifyAdminApiBaseUrl;
        s["Stores:shop:AccessToken"] = "shpat_test";
        s["Stores:shop:Returns:HandlingFee"] = "4.95";
        s["Stores:shop:Returns:Segments:0:Name"] = "VIP";
        s["Stores:shop:Returns:Segments:0:CustomerTag"] = "VIP";
        s["Stores:shop:Returns:Segments:0:Fee"] = "0";
        Warehouse(s, "shop");

        // The same shop's data behind a store whose team reviews every return above 100.
        s["Stores:careful:Platform"] = "Shopify";
        s["Stores:careful:ShopDomain"] = "careful-shop.myshopify.com";
        s["Stores:careful:WebhookSecret"] = TestSecrets.For("webhook-careful");
        s["Stores:careful:AdminApiBaseUrl"] = _platform.ShopifyAdminApiBaseUrl;
        s["Stores:careful:AccessToken"] = "shpat_careful";
        s["Stores:careful:Returns:ReviewAboveValue"] = "100";
        Warehouse(s, "careful");

        s["Stores:woo:Platform"] = "WooCommerce";
        s["Stores:woo:SiteUrl"] = "https://woo-returns.example.com/";
        s["Stores:woo:WebhookSecret"] = TestSecrets.For("webhook-returns-woo");
        s["Stores:woo:AdminApiBaseUrl"] = _platform.WooCommerceApiBaseUrl;
        s["Stores:woo:ConsumerKey"] = "ck_test";
        s["Stores:woo:ConsumerSecret"] = "cs_test";
        s["Stores:woo:Returns:KeepItBelowValue"] = "15";
        s["Stores:woo:Returns:RefundAutomatically"] = "true";
        Warehouse(s, "woo");
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

    private void ProgramShopify() => _platform
        .ReturnOrder(ShopifyOrder)
        .ReturnMutations()
        .OnGraphQLData("mutation CreateExchangeShippingCode", _ => new { discountCodeFreeShippingCreate = new { codeDiscountNode = new { id = "gid://shopify/DiscountCodeNode/42" }, userErrors = Array.Empty<object>() } })
        .OnGraphQLData("mutation DeclineReturn", v => new { returnDeclineRequest = new { @return = new { id = v.GetProperty("input").GetProperty("id").GetString(), status = "DECLINED" }, userErrors = Array.Empty<object>() } });

    private object ShopifyOrder() => ShopifyReturnAnswers.Order(OrderId, Customer, "Ada Lovelace", "Keizersgracht 1", "1015 AA",
        new ShopifyReturnLine(ShirtLine, "Linen shirt - M", "SHIRT-M", 2, "40.00", "Shirts", _finalSale ? ["final-sale"] : ["summer"], ["new-in"]),
        new ShopifyReturnLine(ShoesLine, "Leather shoes - 42", "SHOE-42", 1, "120.00", "Shoes", [], ["new-in"]));

    private void ProgramWooCommerce()
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
            line_items = new[]
            {
                new { id = 301, name = "Wool socks", product_id = 41, sku = "SOCK-1", quantity = 2, price = 6.5, subtotal = "13.00", total = "13.00" },
                new { id = 302, name = "Rain jacket", product_id = 42, sku = "JACKET-1", quantity = 1, price = 89.0, subtotal = "89.00", total = "89.00" },
            },
        };
        _platform
            .On("GET", "/wp-json/wc/v3/orders/2001", _ => FakeResponse.Json(order))
            .On("GET", "/wp-json/wc/v3/products", _ => FakeResponse.Json(new[]
            {
                new { id = 41, name = "Wool socks", on_sale = false, tags = new[] { new { id = 1, name = "Winter", slug = "winter" } }, categories = new[] { new { id = 5, name = "Socks", slug = "socks" } } },
                new { id = 42, name = "Rain jacket", on_sale = false, tags = Array.Empty<object>().Select(_ => new { id = 0, name = "", slug = "" }).ToArray(), categories = new[] { new { id = 6, name = "Jackets", slug = "jackets" } } },
            }))
            .On("POST", "/wp-json/wc/v3/orders/2001/notes", _ => FakeResponse.Json(new { id = 8801, note = "ok" }, 201))
            .On("POST", "/wp-json/wc/v3/coupons", _ => FakeResponse.Json(new { id = 7001 }, 201))
            .On("POST", "/wp-json/wc/v3/orders/2001/refunds", _ => FakeResponse.Json(new { id = 9901, amount = "13.00" }, 201));
    }

    private Task<HttpResponseMessage> AskAsync(string store, object body) => _app.Http.PostAsJsonAsync($"api/stores/{store}/returns", body);

    private static object ShopifyRequest(string email = Customer, string wish = "refund", params object[] items) => new
    {
        orderNumber = "#1042",
        email,
        wish,
        items = items.Length > 0 ? items : [new { lineItemId = ShirtLine, quantity = 1, reason = "size_too_small" }],
    };

    private static async Task<ReturnReceived> ReadAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<ReturnReceived>())!;

    private static async Task<List<TableEntity>> ReturnRowsAsync()
    {
        await foreach (var _ in new TableServiceClient(Azurite.ConnectionString).QueryAsync(t => t.Name == ReturnCases.Table))
        {
            // The cases, not the index rows kept beside them (list, order, customer).
            return await Azurite.Table(ReturnCases.Table).QueryAsync<TableEntity>().Where(r => ReturnCases.IsCase(r.RowKey)).ToListAsync();
        }

        return [];
    }

    private static async Task<List<string>> LabelBlobsAsync()
    {
        var container = Azurite.Container(LabelStorage.Container);
        if (!(await container.ExistsAsync()).Value) return [];
        return await container.GetBlobsAsync().Select(b => b.Name).ToListAsync();
    }

    private static string[] ShopifyOperations(FakePlatform platform) =>
        [.. platform.Requests.Where(r => r.Path.EndsWith("/graphql.json", StringComparison.Ordinal))
            .Select(r => r.GraphQLQuery.TrimStart())
            .Select(q => string.Join(' ', q.Split(' ', '(', '\n').Take(2)))];

    /// <summary>Waits for the return's flow to end and reads it as the operator's flow view does.</summary>
    private async Task<FlowView> FlowAsync(string store, string rma)
    {
        var client = _app.Services.GetRequiredService<DurableTaskClient>();
        var instanceId = StartReturnFlow.InstanceId(store, rma);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await client.WaitForInstanceCompletionAsync(instanceId, cancellation: timeout.Token);
        // As the operator sees it: GET /api/flows/{storeId}/{flowId}.
        return await _app.Admin.GetFromJsonAsync<FlowView>(new Uri($"api/flows/{store}/{instanceId}", UriKind.Relative), Automation.Runtime.Json.Options)
            ?? throw new AssertionException($"No flow view for {instanceId}.");
    }

    private static string[] StepsOf(FlowView flow) => [.. flow.History.Select(h => $"{h.Step}:{h.Outcome}")];

    private static async Task<string> SerializedStatusAsync(TestApp app, string store, string rma) =>
        (await app.Services.GetRequiredService<DurableTaskClient>().GetInstanceAsync(StartReturnFlow.InstanceId(store, rma)))!.SerializedCustomStatus!;

    [Test]
    public async Task SelfServiceShopifyReturn_Approved_LabelInBlobShopifyCallsInOrderAndBothEmails()
    {
        var response = await AskAsync("shop", ShopifyRequest());

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
        var answer = await ReadAsync(response);
        Assert.That((answer.Outcome, answer.Rule, answer.Fee), Is.EqualTo(("Approved", "approve", 4.95m)));
        Assert.That(answer.Rma, Does.Match("^RMA-[0-9A-Z]{8}$"));

        var emails = await MailSink.WaitForAsync(e => e.Subject.Contains(answer.Rma, StringComparison.Ordinal), count: 2);
        var customer = emails.Single(e => e.ToAddress == Customer);
        var warehouse = emails.Single(e => e.ToAddress == "receiving@example.com");

        // Shopify: the return was requested, approved, then given our label and tracking number, in that order.
        Assert.That(ShopifyOperations(_platform), Is.EqualTo(new[]
        {
            "query ReturnOrderByName", "mutation RequestReturn", "mutation ApproveReturn", "mutation AttachReturnLabel",
        }));
        var request = _platform.GraphQLRequests("mutation RequestReturn").Single().Variables.GetProperty("input");
        Assert.That(request.GetProperty("orderId").GetString(), Is.EqualTo($"gid://shopify/Order/{OrderId}"));
        Assert.That(request.GetProperty("returnLineItems")[0].GetProperty("fulfillmentLineItemId").GetString(), Is.EqualTo("gid://shopify/FulfillmentLineItem/11122233344"));
        Assert.That(request.GetProperty("returnLineItems")[0].GetProperty("returnReason").GetString(), Is.EqualTo("SIZE_TOO_SMALL"));
        var attach = _platform.GraphQLRequests("mutation AttachReturnLabel").Single().Variables;
        Assert.That(attach.GetProperty("reverseFulfillmentOrderId").GetString(), Is.EqualTo("gid://shopify/ReverseFulfillmentOrder/555"));
        Assert.That(attach.GetProperty("trackingInput").GetProperty("number").GetString(), Is.EqualTo(answer.Rma));
        var labelUrl = attach.GetProperty("labelInput").GetProperty("fileUrl").GetString()!;
        Assert.That(labelUrl, Does.Contain($"/{LabelStorage.Container}/shop/{answer.Rma}.pdf?").And.Contain("sig="));

        // The label is in Blob storage, the link works without credentials, and its barcode scans to the tracking number.
        Assert.That((await Azurite.Container(LabelStorage.Container).GetBlobClient($"shop/{answer.Rma}.pdf").ExistsAsync()).Value, Is.True);
        using var anonymous = new HttpClient();
        var linked = await anonymous.GetAsync(new Uri(labelUrl));
        Assert.That(linked.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(linked.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/pdf"));
        Assert.That(await ReturnLabelTests.ScanAsync(await linked.Content.ReadAsByteArrayAsync(), "linked-" + answer.Rma), Is.EqualTo(answer.Rma));

        // The customer's email: decision, fee, label attached and linked.
        Assert.That(customer.Subject, Is.EqualTo($"Your return {answer.Rma} is approved"));
        Assert.That(customer.Text, Does.Contain("A return fee of €4.95 is taken from your refund.").And.Contain(labelUrl).And.Contain("- Linen shirt - M: 1 × €"));
        Assert.That(System.Text.RegularExpressions.Regex.Count(customer.Text!, "4\\.95"), Is.EqualTo(1), "the fee is said once");
        Assert.That(customer.Attachments.Select(a => a.FileName), Is.EqualTo(new[] { $"return-label-{answer.Rma}.pdf" }));
        var attached = await MailSink.AttachmentAsync(customer.Id, customer.Attachments[0].GeneratedFileName ?? customer.Attachments[0].FileName);
        Assert.That(await ReturnLabelTests.ScanAsync(attached, "attached-" + answer.Rma), Is.EqualTo(answer.Rma));

        // The warehouse knows what is coming.
        Assert.That(warehouse.Text, Does.Contain(answer.Rma).And.Contain("1 x Linen shirt - M [SHIRT-M] size_too_small").And.Contain("tracking " + answer.Rma));
        Assert.That(warehouse.Text, Does.Not.Contain(Customer));

        await Eventually.Until(async () => (await ReturnRowsAsync()).SingleOrDefault()?.GetString("Status") == "Done", TimeSpan.FromSeconds(10), "the return marked done");
        var row = (await ReturnRowsAsync()).Single();
        Assert.That((row.GetString("Outcome"), row.GetString("Rule")), Is.EqualTo(("Approved", "approve")));
    }

    [Test]
    public async Task ShopifyReturnRequestForFinalSaleItem_DeclinedAtShopifyWithReasonAndExplained()
    {
        _finalSale = true;

        var delivered = await _app.Http.SendAsync(Deliveries.Shopify(ShopDomain, "returns/request", Deliveries.Fixture("shopify/returns.request.json"), ShopSecret));
        Assert.That(delivered.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var email = (await MailSink.WaitForAsync(e => e.ToAddress == Customer)).Single();
        Assert.That(email.Subject, Is.EqualTo("About your return request for order #1042"));
        Assert.That(email.Text, Does.Contain("\"Linen shirt - M\" is final sale (tagged \"final-sale\") and cannot be returned."));
        Assert.That(email.Attachments, Is.Empty);

        var decline = _platform.GraphQLRequests("mutation DeclineReturn").Single().Variables.GetProperty("input");
        Assert.That(decline.GetProperty("id").GetString(), Is.EqualTo("gid://shopify/Return/12345678901"));
        Assert.That(decline.GetProperty("declineReason").GetString(), Is.EqualTo("FINAL_SALE"));
        Assert.That(decline.GetProperty("declineNote").GetString(), Does.Contain("final sale"));
        Assert.That(ShopifyOperations(_platform), Is.EqualTo(new[] { "query ReturnOrderById", "mutation DeclineReturn" }));
        Assert.That(await LabelBlobsAsync(), Is.Empty);
        Assert.That((await MailSink.AllAsync()).Any(e => e.ToAddress == "receiving@example.com"), Is.False);
    }

    [Test]
    public async Task ShopifyReturnRequestInWindow_ApprovedWithoutCreatingAnotherReturn()
    {
        await _app.Http.SendAsync(Deliveries.Shopify(ShopDomain, "returns/request", Deliveries.Fixture("shopify/returns.request.json"), ShopSecret));

        await MailSink.WaitForAsync(e => e.ToAddress == "receiving@example.com");
        Assert.That(ShopifyOperations(_platform), Is.EqualTo(new[] { "query ReturnOrderById", "mutation ApproveReturn", "mutation AttachReturnLabel" }));
        Assert.That(_platform.GraphQLRequests("mutation ApproveReturn").Single().Variables.GetProperty("input").GetProperty("id").GetString(), Is.EqualTo("gid://shopify/Return/12345678901"));
    }

    [Test]
    public async Task SameRequestTwice_SameRmaAndEveryEffectOnce()
    {
        var first = await ReadAsync(await AskAsync("shop", ShopifyRequest(items: [new { lineItemId = ShirtLine, quantity = 1 }, new { lineItemId = ShoesLine, quantity = 1 }])));
        await MailSink.WaitForAsync(e => e.Subject.Contains(first.Rma, StringComparison.Ordinal), count: 2);

        // The same items listed the other way round, with a different reason and wish: still the same request.
        var again = await AskAsync("shop", ShopifyRequest(wish: "exchange", items: [new { lineItemId = ShoesLine, quantity = 1, reason = "defective" }, new { lineItemId = ShirtLine, quantity = 1 }]));

        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var second = await ReadAsync(again);
        Assert.That((second.Rma, second.Duplicate, second.Fee), Is.EqualTo((first.Rma, true, first.Fee)));
        Assert.That((await MailSink.AllAsync()).Count, Is.EqualTo(2));
        Assert.That(_platform.GraphQLRequests("mutation RequestReturn"), Has.Count.EqualTo(1));
        Assert.That(_platform.GraphQLRequests("mutation AttachReturnLabel"), Has.Count.EqualTo(1));
        Assert.That(await ReturnRowsAsync(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task ForeignEmail_NotFoundAndNothingStoredOrSent()
    {
        var response = await AskAsync("shop", ShopifyRequest(email: "mallory@example.com"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("detail").GetString(), Is.EqualTo("No order matches that order number and email address."));
        Assert.That(await ReturnRowsAsync(), Is.Empty);
        Assert.That(_platform.Requests.Select(r => r.GraphQLQuery), Has.None.Contains("mutation"));
        Assert.That(await MailSink.AllAsync(), Is.Empty);
    }

    [TestCase("""{"orderNumber":"#1042","email":"ada@example.com","wish":"refund","items":[]}""", HttpStatusCode.BadRequest, "items must list")]
    [TestCase("""{"orderNumber":"#1042","email":"ada@example.com","wish":"refund","items":[null]}""", HttpStatusCode.BadRequest, "every item must be an object")]
    [TestCase("""{"orderNumber":"#1042","email":"ada@example.com","wish":"money back","items":[{"lineItemId":15012345678901,"quantity":1}]}""", HttpStatusCode.BadRequest, "wish must be")]
    [TestCase("""{"orderNumber":"#1042","email":"not-an-email","wish":"refund","items":[{"lineItemId":15012345678901,"quantity":1}]}""", HttpStatusCode.BadRequest, "email must be")]
    [TestCase("""{"orderNumber":"#1042","email":"ada@example.com","wish":"refund","items":[{"lineItemId":15012345678901,"quantity":0}]}""", HttpStatusCode.BadRequest, "quantity of at least 1")]
    [TestCase("""{"orderNumber":"#9999","email":"ada@example.com","wish":"refund","items":[{"lineItemId":15012345678901,"quantity":1}]}""", HttpStatusCode.NotFound, "No order matches")]
    [TestCase("""{"orderNumber":"#1042","email":"ADA@example.com ","wish":"refund","items":[{"lineItemId":42,"quantity":1}]}""", HttpStatusCode.UnprocessableEntity, "Line item 42 is not part of order #1042.")]
    [TestCase("""{"orderNumber":"#1042","email":"ada@example.com","wish":"store_credit","items":[{"lineItemId":15012345678901,"quantity":3}]}""", HttpStatusCode.UnprocessableEntity, "has 2 of \"Linen shirt - M\"")]
    public async Task BadRequest_ClearClientErrorAndNothingStored(string body, HttpStatusCode status, string detail)
    {
        var response = await _app.Http.PostAsync("api/stores/shop/returns", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.That(response.StatusCode, Is.EqualTo(status));
        Assert.That((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), Does.Contain(detail));
        Assert.That(await ReturnRowsAsync(), Is.Empty);
    }

    [Test]
    public async Task UnknownStore_NotFound()
    {
        var response = await AskAsync("nowhere", ShopifyRequest());

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task WooCommerceReturn_Approved_PrivateNoteNoGatewayRefundAndBothEmails()
    {
        var response = await AskAsync("woo", new { orderNumber = "2001", email = "grace@example.com", wish = "refund", items = new[] { new { lineItemId = 302, quantity = 1, reason = "too big" } } });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
        var answer = await ReadAsync(response);
        var emails = await MailSink.WaitForAsync(e => e.Subject.Contains(answer.Rma, StringComparison.Ordinal), count: 2);
        Assert.That(emails.Select(e => e.ToAddress), Is.EquivalentTo(new[] { "grace@example.com", "receiving@example.com" }));

        var note = _platform.Requests.Single(r => r.Method == "POST" && r.Path.EndsWith("/notes", StringComparison.Ordinal)).Json;
        Assert.That(note.GetProperty("customer_note").GetBoolean(), Is.False);
        Assert.That(note.GetProperty("note").GetString(), Does.Contain(answer.Rma).And.Contain("Approved").And.Contain("tracking " + answer.Rma));
        Assert.That(_platform.Requests.Any(r => r.Path.EndsWith("/refunds", StringComparison.Ordinal)), Is.False, "an approved return is refunded when it arrives, by a person");
        Assert.That(_platform.Requests.All(r => r.Headers["authorization"].StartsWith("Basic ", StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public async Task WooCommerceKeepIt_RefundedWithoutTheGateway()
    {
        var response = await AskAsync("woo", new { orderNumber = "2001", email = "grace@example.com", wish = "refund", items = new[] { new { lineItemId = 301, quantity = 2 } } });

        var answer = await ReadAsync(response);
        Assert.That(answer.Outcome, Is.EqualTo("KeepIt"));
        var email = (await MailSink.WaitForAsync(e => e.ToAddress == "grace@example.com")).Single();
        Assert.That(email.Subject, Is.EqualTo($"Keep it: your return {answer.Rma} needs no shipping"));
        var refund = _platform.Requests.Single(r => r.Path.EndsWith("/refunds", StringComparison.Ordinal)).Json;
        Assert.That(refund.GetProperty("api_refund").GetBoolean(), Is.False);
        Assert.That(refund.GetProperty("amount").GetString(), Is.EqualTo("13.00"));
        Assert.That(refund.GetProperty("line_items")[0].GetProperty("id").GetInt64(), Is.EqualTo(301));
        Assert.That(await LabelBlobsAsync(), Is.Empty);
    }

    [Test]
    public async Task CustomerRedaction_ErasesTheirReturnsAndLabels()
    {
        var answer = await ReadAsync(await AskAsync("shop", ShopifyRequest()));
        await MailSink.WaitForAsync(e => e.Subject.Contains(answer.Rma, StringComparison.Ordinal), count: 2);

        var redact = $$"""{"shop_id":1,"shop_domain":"{{ShopDomain}}","customer":{"id":207119551,"email":"{{Customer}}","phone":null},"orders_to_redact":[{{OrderId}}]}""";
        await _app.Http.SendAsync(Deliveries.Shopify(ShopDomain, "customers/redact", redact, ShopSecret));

        await Eventually.Until(async () => (await ReturnRowsAsync()).Count == 0, TimeSpan.FromSeconds(15), "the customer's returns erased");
        Assert.That(await LabelBlobsAsync(), Is.Empty);
    }

    [Test]
    public async Task ReturnAboveReviewValue_HeldUntilAnOperatorApproves_ThenCarriedOut()
    {
        var response = await AskAsync("careful", ShopifyRequest(items: [new { lineItemId = ShoesLine, quantity = 1, reason = "defective" }]));
        var answer = await ReadAsync(response);
        Assert.That((answer.Outcome, answer.Rule), Is.EqualTo(("ManualReview", "review:value")));
        var held = (await MailSink.WaitForAsync(e => e.ToAddress == Customer)).Single();
        Assert.That(held.Subject, Is.EqualTo($"We are reviewing your return {answer.Rma}"));
        Assert.That(_platform.Requests.Select(r => r.GraphQLQuery), Has.None.Contains("mutation"));

        var listed = await _app.Admin.GetFromJsonAsync<JsonElement>("api/admin/returns/careful?outcome=ManualReview");
        Assert.That(listed.EnumerateArray().Select(r => r.GetProperty("rma").GetString()), Is.EqualTo(new[] { answer.Rma }));
        Assert.That((await _app.Http.PostAsJsonAsync($"api/admin/returns/careful/{answer.Rma}/decision", new { decision = "approve" })).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        var approved = await _app.Admin.PostAsJsonAsync($"api/admin/returns/careful/{answer.Rma}/decision", new { decision = "approve", fee = 0 });

        Assert.That(approved.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        var emails = await MailSink.WaitForAsync(e => e.Subject.Contains("approved", StringComparison.Ordinal) || e.ToAddress == "receiving@example.com", count: 2);
        Assert.That(emails.Single(e => e.ToAddress == Customer).Subject, Is.EqualTo($"Your return {answer.Rma} is approved"));
        Assert.That(ShopifyOperations(_platform), Is.EqualTo(new[]
        {
            "query ReturnOrderByName", "mutation RequestReturn", "mutation ApproveReturn", "mutation AttachReturnLabel",
        }));
        var again = await _app.Admin.PostAsJsonAsync($"api/admin/returns/careful/{answer.Rma}/decision", new { decision = "decline", reason = "Changed my mind" });
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));

        // One flow held the return, waited for the operator, and carried their decision out.
        var flow = await FlowAsync("careful", answer.Rma);
        Assert.That(flow.Status, Is.EqualTo(nameof(FlowState.Completed)));
        Assert.That(StepsOf(flow).Take(4), Is.EqualTo(new[] { "decision:Done", "email-customer:Done", "review:Decided", "decision:Done" }));
    }

    [Test]
    public async Task CrashAfterShopifyMadeTheReturn_RetryFindsItInsteadOfMakingAnother()
    {
        // An earlier attempt started returnRequest and died before recording the result.
        var rma = ReturnCases.RmaFor("shop", ReturnCases.RequestKeyFor(OrderId, [new ReturnItem(ShirtLine, 1)]));
        var effects = Azurite.Table(Automation.Storage.TableNames.Effects);
        await effects.CreateIfNotExistsAsync();
        await effects.AddEntityAsync(new TableEntity("shop", Automation.Storage.StorageKeys.Escape($"shopify:return-request:{rma}")) { ["Status"] = "Started", ["Attempts"] = 1 });
        _platform.OnGraphQLData("query ReturnsOfOrder", _ => new
        {
            order = new
            {
                returns = new
                {
                    nodes = new[]
                    {
                        new { id = "gid://shopify/Return/1", status = "DECLINED", returnLineItems = new { nodes = new[] { new { quantity = 1, fulfillmentLineItem = new { id = "gid://shopify/FulfillmentLineItem/11122233344" } } } } },
                        new { id = "gid://shopify/Return/2", status = "REQUESTED", returnLineItems = new { nodes = new[] { new { quantity = 1, fulfillmentLineItem = new { id = "gid://shopify/FulfillmentLineItem/11122233344" } } } } },
                    },
                },
            },
        });

        var answer = await ReadAsync(await AskAsync("shop", ShopifyRequest()));

        Assert.That(answer.Rma, Is.EqualTo(rma));
        await MailSink.WaitForAsync(e => e.ToAddress == "receiving@example.com");
        Assert.That(ShopifyOperations(_platform), Is.EqualTo(new[]
        {
            "query ReturnOrderByName", "query ReturnsOfOrder", "mutation ApproveReturn", "mutation AttachReturnLabel",
        }));
        Assert.That(_platform.GraphQLRequests("mutation ApproveReturn").Single().Variables.GetProperty("input").GetProperty("id").GetString(), Is.EqualTo("gid://shopify/Return/2"));
    }

    [Test]
    public async Task ShopifyWebhookForTheReturnWeCreated_IsNotHandledTwice()
    {
        var answer = await ReadAsync(await AskAsync("shop", ShopifyRequest()));
        await MailSink.WaitForAsync(e => e.Subject.Contains(answer.Rma, StringComparison.Ordinal), count: 2);
        var calls = _platform.Requests.Count;

        // Shopify announces the return our returnRequest made, as returns/request.
        var echo = Deliveries.Fixture("shopify/returns.request.json")
            .Replace("\"id\": 12345678901,", "\"id\": 777,", StringComparison.Ordinal)
            .Replace("gid://shopify/Return/12345678901", "gid://shopify/Return/777", StringComparison.Ordinal)
            .Replace("\"id\": 6230184263752", $"\"id\": {OrderId}", StringComparison.Ordinal);
        Assert.That((await _app.Http.SendAsync(Deliveries.Shopify(ShopDomain, "returns/request", echo, ShopSecret))).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        await Eventually.Until(async () => (await ReturnRowsAsync()).Any(r => r.GetString("PlatformReturnId") == "gid://shopify/Return/777"), TimeSpan.FromSeconds(15), "the echo linked to our return");
        Assert.That(_platform.Requests, Has.Count.EqualTo(calls));
        Assert.That(await ReturnRowsAsync(), Has.Count.EqualTo(1));
        Assert.That(await MailSink.AllAsync(), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task ShopifyExchange_NoFeeAndASingleUseFreeShippingCodeForTheReplacement()
    {
        var answer = await ReadAsync(await AskAsync("shop", ShopifyRequest(wish: "exchange")));

        Assert.That((answer.Outcome, answer.Fee, answer.FreeShippingOnReplacement), Is.EqualTo(("Approved", 0m, true)));
        var email = (await MailSink.WaitForAsync(e => e.ToAddress == Customer)).Single();
        var expectedCode = Automation.Returns.FreeShippingCode.For(_app.Services.GetRequiredService<Automation.Runtime.SigningKeys>(), "shop", answer.Rma);
        Assert.That(email.Text, Does.Contain($"use the code {expectedCode} at checkout").And.Contain("Your exchange has no fee, and the replacement ships free."));
        var discount = _platform.GraphQLRequests("mutation CreateExchangeShippingCode").Single().Variables.GetProperty("freeShippingCodeDiscount");
        Assert.That(discount.GetProperty("code").GetString(), Is.EqualTo(expectedCode));
        Assert.That(discount.GetProperty("usageLimit").GetInt32(), Is.EqualTo(1));
        Assert.That(discount.GetProperty("appliesOncePerCustomer").GetBoolean(), Is.True);
        Assert.That(discount.GetProperty("context").GetProperty("customers").GetProperty("add")[0].GetString(), Is.EqualTo("gid://shopify/Customer/7012345678901"),
            "only the order's customer can use it");
    }

    [Test]
    public async Task WooCommerceExchange_FreeShippingCouponRestrictedToTheCustomer()
    {
        var answer = await ReadAsync(await AskAsync("woo", new { orderNumber = "2001", email = "grace@example.com", wish = "exchange", items = new[] { new { lineItemId = 302, quantity = 1 } } }));

        var email = (await MailSink.WaitForAsync(e => e.ToAddress == "grace@example.com")).Single();
        var coupon = _platform.Requests.Single(r => r.Method == "POST" && r.Path.EndsWith("/coupons", StringComparison.Ordinal)).Json;
        Assert.That(coupon.GetProperty("code").GetString(), Is.EqualTo(Automation.Returns.FreeShippingCode.For(_app.Services.GetRequiredService<Automation.Runtime.SigningKeys>(), "woo", answer.Rma)));
        Assert.That(coupon.GetProperty("free_shipping").GetBoolean(), Is.True);
        Assert.That(coupon.GetProperty("usage_limit").GetInt32(), Is.EqualTo(1));
        Assert.That(coupon.GetProperty("email_restrictions")[0].GetString(), Is.EqualTo("grace@example.com"));
        Assert.That(email.Text, Does.Contain(coupon.GetProperty("code").GetString()));
    }

    [Test]
    public async Task SelfServiceShopifyReturn_FlowViewShowsEveryStepAndNoPersonalData()
    {
        var answer = await ReadAsync(await AskAsync("shop", ShopifyRequest()));

        var flow = await FlowAsync("shop", answer.Rma);

        Assert.That((flow.Definition, flow.DefinitionVersion, flow.Status, flow.RuntimeStatus), Is.EqualTo(("return", 1, "Completed", "Completed")));
        Assert.That(flow.EndReason, Is.EqualTo("Approved by rule approve: carried out."));
        Assert.That(StepsOf(flow), Is.EqualTo(new[]
        {
            "decision:Done", "label:Done", "shopify-request:Done", "shopify-approve:Done", "shopify-label:Done", "email-customer:Done", "email-warehouse:Done", "close:Done",
        }));
        var status = await SerializedStatusAsync(_app, "shop", answer.Rma);
        Assert.That(status, Does.Not.Contain(Customer).And.Not.Contain("Keizersgracht").And.Not.Contain("Ada").And.Not.Contain("sig="));
    }

    [Test]
    public async Task ShopifyRefusesTheApproval_FlowStopsWithTheReasonAndTheReturnIsFlaggedForAnOperator()
    {
        _platform.OnGraphQLData("mutation ApproveReturn", _ => new
        {
            returnApproveRequest = new { @return = (object?)null, userErrors = new[] { new { field = new[] { "id" }, message = "Return is not approvable.", code = "INVALID_STATE" } } },
        });

        var answer = await ReadAsync(await AskAsync("shop", ShopifyRequest()));

        var flow = await FlowAsync("shop", answer.Rma);
        Assert.That(flow.Status, Is.EqualTo(nameof(FlowState.Exited)));
        Assert.That(flow.EndReason, Is.EqualTo("Stopped at shopify-approve: Shopify returnApproveRequest failed: Return is not approvable."));
        Assert.That(StepsOf(flow).TakeLast(2), Is.EqualTo(new[] { "shopify-approve:Refused", "flag:Done" }));

        var row = (await ReturnRowsAsync()).Single();
        Assert.That(row.GetString("Status"), Is.EqualTo(ReturnCases.NeedsAttention));
        Assert.That(row.GetString("Problem"), Is.EqualTo("shopify-approve: Shopify returnApproveRequest failed: Return is not approvable."));
        var listed = (await _app.Admin.GetFromJsonAsync<JsonElement>("api/admin/returns/shop")).EnumerateArray().Single();
        Assert.That((listed.GetProperty("status").GetString(), listed.GetProperty("problem").GetString()), Is.EqualTo((ReturnCases.NeedsAttention, row.GetString("Problem"))));

        // Nothing that would tell the customer the return is approved, and no label at Shopify.
        Assert.That(await MailSink.AllAsync(), Is.Empty);
        Assert.That(_platform.GraphQLRequests("mutation AttachReturnLabel"), Is.Empty);
    }

    [Test]
    public async Task ShopifyUnavailableForAWhile_StepRetriedByDurableUntilItWorks_EachEffectOnce()
    {
        // A mutation answered with 503 is not re-sent blindly: each attempt looks first, tries once more, and fails;
        // Durable retries the activity until Shopify works again.
        var approvals = 0;
        _platform
            .OnGraphQL("mutation ApproveReturn", request => Interlocked.Increment(ref approvals) <= 5
                ? new FakeResponse(503, new { errors = "Service unavailable" })
                : FakeResponse.Json(new
                {
                    data = new
                    {
                        returnApproveRequest = new
                        {
                            @return = new { id = request.Variables.GetProperty("input").GetProperty("id").GetString(), status = "OPEN", reverseFulfillmentOrders = new { nodes = new[] { new { id = "gid://shopify/ReverseFulfillmentOrder/555" } } } },
                            userErrors = Array.Empty<object>(),
                        },
                    },
                }))
            // The retry cannot know whether a 503 was answered after Shopify approved: it looks first.
            .OnGraphQLData("query ReturnStatus", _ => new { @return = new { status = "REQUESTED", reverseFulfillmentOrders = new { nodes = Array.Empty<object>() } } });

        var answer = await ReadAsync(await AskAsync("shop", ShopifyRequest()));

        var flow = await FlowAsync("shop", answer.Rma);
        Assert.That(flow.Status, Is.EqualTo(nameof(FlowState.Completed)));
        Assert.That(approvals, Is.EqualTo(6));
        Assert.That(ShopifyOperations(_platform).Distinct(), Is.EqualTo(new[]
        {
            "query ReturnOrderByName", "mutation RequestReturn", "mutation ApproveReturn", "query ReturnStatus", "mutation AttachReturnLabel",
        }));
        Assert.That(_platform.GraphQLRequests("mutation RequestReturn"), Has.Count.EqualTo(1));
        Assert.That(_platform.GraphQLRequests("mutation AttachReturnLabel"), Has.Count.EqualTo(1));
        Assert.That(await MailSink.WaitForAsync(e => e.Subject.Contains(answer.Rma, StringComparison.Ordinal), count: 2), Has.Count.EqualTo(2));
        Assert.That((await ReturnRowsAsync()).Single().GetString("Status"), Is.EqualTo(ReturnCases.Done));
    }

    [Test]
    public async Task CrashMidWooCommerceRefund_RetryFindsTheRefundInsteadOfRefundingAgain()
    {
        // An earlier attempt sent the refund and died before recording it.
        var rma = ReturnCases.RmaFor("woo", ReturnCases.RequestKeyFor(2001, [new ReturnItem(301, 2)]));
        var effects = Azurite.Table(Automation.Storage.TableNames.Effects);
        await effects.CreateIfNotExistsAsync();
        await effects.AddEntityAsync(new TableEntity("woo", Automation.Storage.StorageKeys.Escape($"woocommerce:refund:{rma}")) { ["Status"] = "Started", ["Attempts"] = 1 });
        _platform.On("GET", "/wp-json/wc/v3/orders/2001/refunds", _ => FakeResponse.Json(new[] { new { id = 9901, amount = "13.00", reason = $"Return {rma} (keep-it)" } }));

        var answer = await ReadAsync(await AskAsync("woo", new { orderNumber = "2001", email = "grace@example.com", wish = "refund", items = new[] { new { lineItemId = 301, quantity = 2 } } }));

        Assert.That((answer.Rma, answer.Outcome), Is.EqualTo((rma, "KeepIt")));
        var flow = await FlowAsync("woo", rma);
        Assert.That(flow.Status, Is.EqualTo(nameof(FlowState.Completed)));
        Assert.That(StepsOf(flow), Does.Contain("refund:Done"));
        Assert.That(_platform.Requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/refunds", StringComparison.Ordinal)), Is.Empty);
        Assert.That((await MailSink.WaitForAsync(e => e.ToAddress == "grace@example.com")).Single().Subject, Is.EqualTo($"Keep it: your return {rma} needs no shipping"));
    }

    [Test]
    public async Task ReviewDecisionRecordedButNotHandedToItsFlow_AskingAgainHandsItOver()
    {
        var answer = await ReadAsync(await AskAsync("careful", ShopifyRequest(items: [new { lineItemId = ShoesLine, quantity = 1, reason = "defective" }])));
        await MailSink.WaitForAsync(e => e.ToAddress == Customer);

        // The operator's first request recorded the decision and then failed (storage) before telling the waiting flow.
        var cases = _app.Services.GetRequiredService<ReturnCases>();
        var held = (await cases.GetAsync("careful", answer.Rma, CancellationToken.None))!;
        var approved = new ReturnDecision(ReturnOutcome.Approved, "manual:approve", "Your return is approved.") { ItemsValue = held.Decision.ItemsValue };
        Assert.That(await cases.ReplaceReviewedAsync(held with { Decision = approved, WarehouseId = "ams" }, CancellationToken.None), Is.True);

        var again = await _app.Admin.PostAsJsonAsync($"api/admin/returns/careful/{answer.Rma}/decision", new { decision = "approve" });

        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        var flow = await FlowAsync("careful", answer.Rma);
        Assert.That(flow.Status, Is.EqualTo(nameof(FlowState.Completed)));
        Assert.That((await MailSink.WaitForAsync(e => e.Subject == $"Your return {answer.Rma} is approved")).Single().ToAddress, Is.EqualTo(Customer));
        Assert.That(_platform.GraphQLRequests("mutation AttachReturnLabel"), Has.Count.EqualTo(1));
    }

    // ── Abuse: rate limits, no oracle, one lookup per order per window, claims (issue 10, item 4) ──

    /// <summary>Restarts the app with extra settings (the limits a test needs); storage is emptied.</summary>
    private Task RestartAsync(params (string Key, string Value)[] extra) => RestartAsync(null, extra);

    private async Task RestartAsync(Action<IServiceCollection>? services, params (string Key, string Value)[] extra)
    {
        await _app.DisposeAsync();
        _app = await TestApp.StartAsync(s =>
        {
            Configure(s);
            foreach (var (key, value) in extra) s[key] = value;
        }, services);
    }

    [Test]
    public async Task RateLimiting_CostsOneStorageTransactionPerRequest_TwoWhenTheOrderIsFirstLookedUp()
    {
        var requests = new StorageRequests();
        bool Limiter(StorageRequest r) => r.IsBatch || r.Path.Contains("/" + Automation.PublicEndpoints.PublicLimiter.Table, StringComparison.Ordinal);
        await RestartAsync(s => s.Configure<Automation.Storage.StorageClientsOptions>(o => o.Policies.Add(requests)));

        var first = await _app.Http.PostAsJsonAsync("api/stores/shop/returns", ShopifyRequest(email: "guess@example.com"));
        var afterFirst = requests.Count(Limiter);
        for (var i = 0; i < 5; i++) await _app.Http.PostAsJsonAsync("api/stores/shop/returns", ShopifyRequest(email: $"guess{i}@example.com"));

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(afterFirst, Is.EqualTo(2), "the count (one transaction for both limits) and the order's lookup kept on its row");
        Assert.That(requests.Count(Limiter) - afterFirst, Is.EqualTo(5), "one transaction each once the order's lookup is known");
    }

    private int OrderLookups => _platform.GraphQLRequests("query ReturnOrderByName").Count;

    private static async Task<(HttpStatusCode Status, string? Title, string? Detail)> ProblemAsync(HttpResponseMessage response)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, problem.GetProperty("title").GetString(), problem.GetProperty("detail").GetString());
    }

    [Test]
    public async Task OneClientAskingTooOften_429WithRetryAfter_AndThePlatformIsNotAsked()
    {
        await RestartAsync(("PublicEndpoints:ReturnsPerClientPerHour", "3"));
        for (var i = 0; i < 3; i++)
        {
            var guess = await _app.Http.PostAsJsonAsync("api/stores/shop/returns", ShopifyRequest(email: $"client{i}@example.com"));
            Assert.That(guess.StatusCode, Is.Not.EqualTo(HttpStatusCode.TooManyRequests));
        }

        var lookups = OrderLookups;
        var limited = await _app.Http.PostAsJsonAsync("api/stores/shop/returns", new { orderNumber = "#2001", email = "x@example.com", wish = "refund", items = new[] { new { lineItemId = 1, quantity = 1 } } });

        Assert.That(limited.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(limited.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromHours(1)));
        Assert.That(OrderLookups, Is.EqualTo(lookups), "a refused request costs no platform call");
    }

    [Test]
    public async Task GuessesAtOneOrderSpreadOverTwoInstances_CountedTogether()
    {
        await RestartAsync(("PublicEndpoints:ReturnsPerOrderPerHour", "4"));
        await using var second = await TestApp.StartAsync(s =>
        {
            Configure(s);
            s["PublicEndpoints:ReturnsPerOrderPerHour"] = "4";
        }, keepStorage: true);

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            var instance = i % 2 == 0 ? _app : second;
            answers.Add((await instance.Http.PostAsJsonAsync("api/stores/shop/returns", ShopifyRequest(email: $"guess{i}@example.com"))).StatusCode);
        }

        Assert.That(answers, Is.All.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await _app.Http.PostAsJsonAsync("api/stores/shop/returns", ShopifyRequest(email: "guess4@example.com"))).StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That((await second.Http.PostAsJsonAsync("api/stores/shop/returns", ShopifyRequest())).StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests),
            "the order's own customer waits too: the limit is on the order");
    }

    [Test]
    public async Task NoSuchOrderAndWrongEmail_TheSameAnswerAfterTheSameWork()
    {
        var lookups = OrderLookups;
        var noSuchOrder = await _app.Http.PostAsJsonAsync("api/stores/shop/returns", new { orderNumber = "#9999", email = Customer, wish = "refund", items = new[] { new { lineItemId = ShirtLine, quantity = 1 } } });
        var afterFirst = OrderLookups;
        var wrongEmail = await _app.Http.PostAsJsonAsync("api/stores/shop/returns", ShopifyRequest(email: "mallory@example.com"));

        var unknown = await ProblemAsync(noSuchOrder);
        Assert.That(await ProblemAsync(wrongEmail), Is.EqualTo(unknown));
        Assert.That(unknown, Is.EqualTo((HttpStatusCode.NotFound, "Order not found", "No order matches that order number and email address.")));
        Assert.That((afterFirst - lookups, OrderLookups - afterFirst), Is.EqualTo((1, 1)), "each asked the platform once");

        // Asked again, both are answered from the window's lookup, again alike.
        var before = OrderLookups;
        var noSuchOrderAgain = await _app.Http.PostAsJsonAsync("api/stores/shop/returns", new { orderNumber = "#9999", email = "other@example.com", wish = "refund", items = new[] { new { lineItemId = ShirtLine, quantity = 1 } } });
        var wrongEmailAgain = await _app.Http.PostAsJsonAsync("api/stores/shop/returns", ShopifyRequest(email: "eve@example.com"));
        Assert.That(await ProblemAsync(wrongEmailAgain), Is.EqualTo(await ProblemAsync(noSuchOrderAgain)));
        Assert.That(OrderLookups, Is.EqualTo(before));
        Assert.That(await ReturnRowsAsync(), Is.Empty);
    }

    [Test]
    public async Task GuessingEmailsForOneOrder_OnePlatformLookupPerWindow_TheCustomerStillServed()
    {
        for (var i = 0; i < 6; i++)
        {
            var guess = await _app.Http.PostAsJsonAsync("api/stores/shop/returns", ShopifyRequest(email: $"guess{i}@example.com"));
            Assert.That(guess.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }

        Assert.That(OrderLookups, Is.EqualTo(1));

        var customer = await AskAsync("shop", ShopifyRequest());
        Assert.That(customer.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await customer.Content.ReadAsStringAsync());
        Assert.That(OrderLookups, Is.EqualTo(2), "the order's own customer gets a fresh look at the order");
    }

    [Test]
    public async Task OverlappingRequestsForTheSameItems_OnlyOneAccepted_OneLabel()
    {
        // The order has 2 shirts and 1 pair of shoes: any two of these ask for more than was bought.
        object[] requests =
        [
            ShopifyRequest(items: [new { lineItemId = ShirtLine, quantity = 2 }]),
            ShopifyRequest(items: [new { lineItemId = ShirtLine, quantity = 2 }, new { lineItemId = ShoesLine, quantity = 1 }]),
            ShopifyRequest(items: [new { lineItemId = ShirtLine, quantity = 1 }, new { lineItemId = ShoesLine, quantity = 1 }]),
            ShopifyRequest(wish: "exchange", items: [new { lineItemId = ShirtLine, quantity = 1 }, new { lineItemId = ShoesLine, quantity = 1 }, ]),
        ];
        // The last two are the same request (same items): at most one RMA between them.
        var answers = await Task.WhenAll(requests.Select(r => AskAsync("shop", r)));

        var statuses = answers.Select(a => a.StatusCode).ToList();
        Assert.That(statuses.Count(s => s == HttpStatusCode.Accepted), Is.EqualTo(1), string.Join(", ", statuses));
        Assert.That(statuses, Is.All.AnyOf(HttpStatusCode.Accepted, HttpStatusCode.OK, HttpStatusCode.UnprocessableEntity));
        var refused = answers.First(a => a.StatusCode == HttpStatusCode.UnprocessableEntity);
        Assert.That((await ProblemAsync(refused)).Detail, Does.Contain("already in a return"));

        var accepted = await ReadAsync(answers.Single(a => a.StatusCode == HttpStatusCode.Accepted));
        await FlowAsync("shop", accepted.Rma);
        Assert.That(await ReturnRowsAsync(), Has.Count.EqualTo(1));
        Assert.That(await LabelBlobsAsync(), Has.Count.EqualTo(1));
        Assert.That(_platform.GraphQLRequests("mutation RequestReturn"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task ItemsOfACompletedReturn_CannotBeReturnedAgain_TheRestCan()
    {
        var first = await ReadAsync(await AskAsync("shop", ShopifyRequest(items: [new { lineItemId = ShirtLine, quantity = 1 }])));
        await FlowAsync("shop", first.Rma);

        var second = await AskAsync("shop", ShopifyRequest(items: [new { lineItemId = ShirtLine, quantity = 1 }, new { lineItemId = ShoesLine, quantity = 1 }]));
        var third = await AskAsync("shop", ShopifyRequest(items: [new { lineItemId = ShirtLine, quantity = 2 }]));

        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), "the second shirt and the shoes were not returned yet");
        Assert.That(third.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That((await ProblemAsync(third)).Detail, Is.EqualTo("\"Linen shirt - M\": 2 of 2 are already in a return. Only the rest can be returned."));
    }

    [Test]
    public async Task HeldReturnDeclinedByAnOperator_ItsItemsCanBeAskedForAgain()
    {
        // Above the careful store's review value (100): held, and its items claimed meanwhile.
        var held = await ReadAsync(await AskAsync("careful", ShopifyRequest(items: [new { lineItemId = ShoesLine, quantity = 1 }])));
        Assert.That(held.Outcome, Is.EqualTo("ManualReview"));
        var whileHeld = await AskAsync("careful", ShopifyRequest(wish: "exchange", items: [new { lineItemId = ShoesLine, quantity = 1 }, new { lineItemId = ShirtLine, quantity = 1 }]));
        Assert.That(whileHeld.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));

        var declined = await _app.Admin.PostAsJsonAsync($"api/admin/returns/careful/{held.Rma}/decision", new { decision = "decline", reason = "Worn." });
        Assert.That(declined.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));

        var again = await AskAsync("careful", ShopifyRequest(wish: "exchange", items: [new { lineItemId = ShoesLine, quantity = 1 }, new { lineItemId = ShirtLine, quantity = 1 }]));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await again.Content.ReadAsStringAsync());
    }
}
