using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Automation.AbandonedCart;
using Automation.Flows;
using Automation.Tests.Infrastructure;
using static Automation.Tests.AbandonedCart.RecoveryScenario;

namespace Automation.Tests.AbandonedCart;

/// <summary>
/// End to end: the real app on Azurite, real SMTP into the sink, and a fake Shopify/WooCommerce over HTTP.
/// Delays are shortened to about a second by configuration; the steps and waits are the real ones.
/// </summary>
[NonParallelizable]
public sealed class AbandonedCartFlowTests
{
    private FakePlatform _fake = null!;
    private TestApp? _app;

    [SetUp]
    public async Task SetUp()
    {
        await MailSink.ClearAsync();
        _fake = await FakePlatform.StartAsync();
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_app is not null) await _app.DisposeAsync();
        _app = null;
        await _fake.DisposeAsync();
    }

    private async Task<TestApp> StartShopifyAsync(Action<Dictionary<string, string?>>? more = null, Action<IServiceCollection>? services = null, bool keepStorage = false)
    {
        _app = await TestApp.StartAsync(c =>
        {
            ShopifyStore(c, _fake);
            FastFlows(c);
            more?.Invoke(c);
        }, services, keepStorage);
        return _app;
    }

    [Test]
    public async Task HappyPath_Shopify_SendsReminderThenUniqueCouponAndCompletes()
    {
        _fake.ShopifyAnswers();
        var app = await StartShopifyAsync();

        var checkout = Checkout(email: "happy@example.test");
        await app.PublishAsync(checkout);

        var emails = await MailSink.WaitForAsync(m => m.ToAddress == "happy@example.test", count: 2);
        var flow = await app.WaitForFlowAsync(FlowId("happy@example.test"), f => f.Status == "Completed", "the flow to complete");
        var reminder = emails.Single(m => m.Subject.Contains("left something", StringComparison.Ordinal));
        var couponEmail = emails.Single(m => m.Subject.Contains("10% off", StringComparison.Ordinal));
        var discount = _fake.GraphQLRequests("discountCodeBasicCreate").Single().Variables.GetProperty("basicCodeDiscount");
        var code = discount.Str("code");
        var listUnsubscribe = await RawHeaderAsync(reminder, "List-Unsubscribe");
        var listUnsubscribePost = await RawHeaderAsync(reminder, "List-Unsubscribe-Post");

        Assert.Multiple(() =>
        {
            Assert.That(reminder.Text, Does.Contain("Blue mug").And.Contain("https://s1.myshopify.com/checkouts/tok-1/recover"));
            Assert.That(reminder.Html, Does.Contain("Green tea").And.Contain("€59.90").And.Contain("<meta charset=\"utf-8\">"));
            Assert.That(reminder.Text, Does.Contain("Unsubscribe: http://shop-automation.test/api/unsubscribe?token="));
            Assert.That(listUnsubscribe, Does.StartWith("<http://shop-automation.test/api/unsubscribe?token="));
            Assert.That(listUnsubscribePost, Is.EqualTo("List-Unsubscribe=One-Click"));
            Assert.That(couponEmail.Text, Does.Contain(code));
            Assert.That(couponEmail.Html, Does.Contain(code));

            Assert.That(discount.GetProperty("customerGets").GetProperty("value").GetProperty("percentage").GetDouble(), Is.EqualTo(0.1));
            Assert.That(discount.GetProperty("usageLimit").GetInt32(), Is.EqualTo(1));
            Assert.That(discount.GetProperty("appliesOncePerCustomer").GetBoolean(), Is.True);
            Assert.That(discount.GetProperty("context").GetProperty("customers").GetProperty("add")[0].GetString(), Is.EqualTo("gid://shopify/Customer/501"));
            var validity = DateTimeOffset.Parse(discount.Str("endsAt"), System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.Parse(discount.Str("startsAt"), System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(validity, Is.EqualTo(TimeSpan.FromDays(7)));
            Assert.That(code, Is.EqualTo(CouponCodeFor(checkout)));

            Assert.That(flow.History.Select(h => $"{h.Step}:{h.Outcome}"), Is.EqualTo(new[]
            {
                "start:Started", "wait-before-reminder:Waited", "send-reminder:Done", "wait-before-coupon:Waited", "issue-coupon:Done", "send-coupon-email:Done",
            }));
        });
    }

    [Test]
    public async Task HappyPath_WooCommerce_CreatesRestrictedCouponThroughRest()
    {
        _fake.On("GET", "/wp-json/wc/v3/products/*", _ => FakeResponse.Json(new { id = 11, stock_status = "instock" }));
        _fake.On("POST", "/wp-json/wc/v3/coupons", r => FakeResponse.Json(new { id = 77, code = r.Json.Str("code").ToLowerInvariant() }, 201));
        _app = await TestApp.StartAsync(c =>
        {
            WooStore(c, _fake);
            FastFlows(c);
        });

        await _app.PublishAsync(Checkout(checkoutId: "order-42", email: "woo@example.test", customerId: null) with { Currency = "USD" });

        var emails = await MailSink.WaitForAsync(m => m.ToAddress == "woo@example.test", count: 2);
        var coupon = _fake.Requests.Single(r => r.Method == "POST" && r.Path == "/wp-json/wc/v3/coupons").Json;
        Assert.Multiple(() =>
        {
            Assert.That(coupon.Str("discount_type"), Is.EqualTo("percent"));
            Assert.That(coupon.Str("amount"), Is.EqualTo("10"));
            Assert.That(coupon.GetProperty("usage_limit").GetInt32(), Is.EqualTo(1));
            Assert.That(coupon.GetProperty("email_restrictions")[0].GetString(), Is.EqualTo("woo@example.test"));
            Assert.That(DateTime.Parse(coupon.Str("date_expires_gmt"), System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(DateTime.UtcNow.AddDays(7)).Within(TimeSpan.FromMinutes(1)));
            Assert.That(emails.Single(m => m.Subject.Contains("off", StringComparison.Ordinal)).Text, Does.Contain(coupon.Str("code")));
            Assert.That(_fake.Requests.Any(r => r.Method == "GET" && r.Path == "/wp-json/wc/v3/products/11/variations/111"), Is.True, "stock re-checked");
        });
    }

    [Test]
    public async Task WooCouponAlreadyExists_IsTreatedAsOurOwn()
    {
        _fake.On("GET", "/wp-json/wc/v3/products/*", _ => FakeResponse.Json(new { id = 11, stock_status = "instock" }));
        _fake.On("POST", "/wp-json/wc/v3/coupons", _ => FakeResponse.Json(new { code = "woocommerce_rest_coupon_code_already_exists", message = "The coupon code already exists", data = new { status = 400 } }, 400));
        _app = await TestApp.StartAsync(c =>
        {
            WooStore(c, _fake);
            FastFlows(c);
        });

        var checkout = Checkout(checkoutId: "order-43", email: "woo-dup@example.test");
        await _app.PublishAsync(checkout);

        var emails = await MailSink.WaitForAsync(m => m.ToAddress == "woo-dup@example.test", count: 2);
        Assert.That(emails.Single(m => m.Subject.Contains("off", StringComparison.Ordinal)).Text, Does.Contain(CouponCodeFor(checkout)));
    }

    [Test]
    public async Task OrderPlacedBeforeReminder_SendsNothing()
    {
        _fake.ShopifyAnswers();
        var app = await StartShopifyAsync(c => c["AbandonedCart:ReminderDelay"] = "00:00:05");

        await app.PublishAsync(Checkout(email: "buyer@example.test"));
        await app.WaitForFlowAsync(FlowId("buyer@example.test"), f => f.Status == "Waiting", "the flow to start");
        await app.PublishAsync(Order(email: "buyer@example.test"));

        var flow = await app.WaitForFlowAsync(FlowId("buyer@example.test"), f => f.Status == "Exited", "the order to end the flow");
        Assert.That(flow.RuntimeStatus, Is.EqualTo("Completed"), "the instance has ended: no timer of it can still fire");

        Assert.That(flow.EndReason, Is.EqualTo(CheckoutRecoveryOrchestrator.OrderPlaced));
        Assert.That(await EmailsToAsync("buyer@example.test"), Is.Empty);
        Assert.That(_fake.GraphQLRequests("discountCodeBasicCreate"), Is.Empty);
    }

    [Test]
    public async Task OrderEventProcessedBeforeItsCheckoutEvent_StartsNoFlow()
    {
        var app = await StartShopifyAsync();
        var checkout = Checkout(email: "early@example.test", at: DateTimeOffset.UtcNow.AddMinutes(-5));

        await app.PublishAsync(Order(checkoutId: null, email: "early@example.test", customerId: null));
        await Eventually.Until(async () => await CustomerRowAsync("early@example.test") is { } row && row.ContainsKey("LastOrderAt"), TimeSpan.FromSeconds(20), "the order to be recorded");
        await app.PublishAsync(checkout);

        var flow = await app.WaitForFlowAsync(FlowId("early@example.test"), f => f.Status == "Skipped", "the late checkout to be skipped");
        Assert.That(flow.EndReason, Does.Contain("placed an order"));
        Assert.That(await app.InstanceAsync(FlowId("early@example.test")), Is.Null, "no orchestration was started");
    }

    [Test]
    public async Task OrderPlacedBetweenSteps_NoCouponAndRevenueAttributedToReminder()
    {
        _fake.ShopifyAnswers();
        var app = await StartShopifyAsync(c => c["AbandonedCart:CouponDelay"] = "00:00:05");

        await app.PublishAsync(Checkout(email: "between@example.test"));
        await MailSink.WaitForAsync(m => m.ToAddress == "between@example.test");
        await app.PublishAsync(Order(checkoutId: null, email: "between@example.test", customerId: null));

        await app.WaitForFlowAsync(FlowId("between@example.test"), f => f.Status == "Exited", "the order to end the flow");
        var stats = await app.Admin.GetFromJsonAsync<RecoveryStatsReport>(new Uri($"api/stores/{Store}/stats", UriKind.Relative), Automation.Runtime.Json.Options);

        Assert.Multiple(() =>
        {
            Assert.That(_fake.GraphQLRequests("discountCodeBasicCreate"), Is.Empty);
            Assert.That(stats!.FlowsStarted, Is.EqualTo(1));
            Assert.That(stats.FlowsExited, Is.EqualTo(1));
            Assert.That(stats.RemindersSent, Is.EqualTo(1));
            Assert.That(stats.CouponsIssued, Is.Zero);
            Assert.That(stats.OrdersRecovered, Is.EqualTo(1));
            Assert.That(stats.RecoveredRevenue["EUR"], Is.EqualTo(59.90m));
            Assert.That(stats.RecoveredBy[CheckoutRecoveryOrchestrator.SendReminderStep], Is.EqualTo(1));
        });
        Assert.That((await EmailsToAsync("between@example.test")).Count, Is.EqualTo(1));
    }

    [Test]
    public async Task DuplicateCheckoutWebhooks_StartOneFlow()
    {
        _fake.ShopifyAnswers();
        var app = await StartShopifyAsync(c => c["AbandonedCart:SendCoupon"] = "false");
        var checkout = Checkout(email: "dup@example.test");

        await app.PublishAsync(checkout);
        await app.PublishAsync(checkout);
        await app.PublishAsync(checkout with { Id = "checkout:tok-1:update", OccurredAt = checkout.OccurredAt.AddSeconds(1) });

        await app.WaitForFlowAsync(FlowId("dup@example.test"), f => f.Status == "Completed", "the flow to complete");

        Assert.That(await app.OutcomesAsync(), Has.Count.EqualTo(1), "one flow ran");
        Assert.That((await EmailsToAsync("dup@example.test")).Count, Is.EqualTo(1));
    }

    [Test]
    public async Task CheckoutUpdatedWhileWaiting_ReminderShowsTheNewItems()
    {
        _fake.ShopifyAnswers();
        var app = await StartShopifyAsync(c =>
        {
            c["AbandonedCart:ReminderDelay"] = "00:00:05";
            c["AbandonedCart:SendCoupon"] = "false";
        });
        var checkout = Checkout(email: "updated@example.test");

        await app.PublishAsync(checkout);
        await app.WaitForFlowAsync(FlowId("updated@example.test"), f => f.Status == "Waiting", "the flow to start");
        await app.PublishAsync(new Automation.Events.CheckoutUpdated
        {
            Id = "checkout:tok-1:later", StoreId = Store, OccurredAt = checkout.OccurredAt.AddSeconds(30), CheckoutId = "tok-1", CustomerId = 501,
            Email = "updated@example.test", AcceptsMarketing = true, Currency = "EUR", TotalPrice = 18m, LineItems = [new Automation.Events.LineItem(14, 141, "HAT-1", "Wool hat", 1, 18m)],
        });

        var email = (await MailSink.WaitForAsync(m => m.ToAddress == "updated@example.test")).Single();
        var flow = await app.WaitForFlowAsync(FlowId("updated@example.test"), f => f.Status == "Completed", "the flow to complete");

        Assert.That(email.Text, Does.Contain("Wool hat").And.Not.Contain("Blue mug"));
        Assert.That(email.Text, Does.Contain("€18.00"));
        Assert.That(flow.Has("wait-before-reminder", "Updated"), Is.True);
    }

    [Test]
    public async Task NewerCheckout_ReplacesOlderFlow()
    {
        _fake.ShopifyAnswers();
        var app = await StartShopifyAsync(c =>
        {
            c["AbandonedCart:ReminderDelay"] = "00:00:05";
            c["AbandonedCart:SendCoupon"] = "false";
        });

        var older = Checkout(checkoutId: "tok-old", email: "newer@example.test");
        await app.PublishAsync(older);
        await app.WaitForFlowAsync(FlowId("newer@example.test"), f => f.Status == "Waiting", "the first flow to start");
        await app.PublishAsync(Checkout(checkoutId: "tok-new", email: "newer@example.test") with { LineItems = [new Automation.Events.LineItem(13, 131, "CUP-9", "Red cup", 1, 9m)] });

        var emails = await MailSink.WaitForAsync(m => m.ToAddress == "newer@example.test");
        var flow = await app.WaitForFlowAsync(FlowId("newer@example.test"), f => f.Status == "Completed", "the newer flow to complete");
        var outcomes = await app.OutcomesAsync();

        Assert.That(outcomes.Single(o => o.FlowId == Automation.AbandonedCart.RecoveryIds.FlowId(FlowId("newer@example.test"), older.Id)).EndReason, Is.EqualTo(CheckoutRecoveryOrchestrator.Replaced));
        Assert.That(outcomes.Select(o => o.State), Is.EquivalentTo(new[] { "Exited", "Completed" }));
        Assert.That(flow.History.Any(h => h.Outcome == "Exited" && h.Note.Contains("replaced", StringComparison.Ordinal)), Is.True, "the customer's flow history shows the replacement");
        Assert.That(emails.Single().Text, Does.Contain("Red cup").And.Not.Contain("Blue mug"));
        Assert.That((await EmailsToAsync("newer@example.test")).Count, Is.EqualTo(1));
    }

    [Test]
    public async Task Unsubscribe_ExitsActiveFlowAndNoCouponFollows()
    {
        _fake.ShopifyAnswers();
        var app = await StartShopifyAsync(c => c["AbandonedCart:CouponDelay"] = "00:00:05");

        await app.PublishAsync(Checkout(email: "unsub@example.test"));
        var reminder = (await MailSink.WaitForAsync(m => m.ToAddress == "unsub@example.test")).Single();
        var link = new Uri((await RawHeaderAsync(reminder, "List-Unsubscribe"))!.Trim('<', '>'));
        var response = await app.Http.GetAsync(new Uri(link.PathAndQuery.TrimStart('/'), UriKind.Relative));
        var forged = await app.Http.GetAsync(new Uri(link.PathAndQuery.TrimStart('/')[..^3] + "abc", UriKind.Relative));

        var flow = await app.WaitForFlowAsync(FlowId("unsub@example.test"), f => f.Status == "Exited", "the unsubscribe to end the flow");

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(flow.EndReason, Is.EqualTo(CheckoutRecoveryOrchestrator.Unsubscribed));
            Assert.That(_fake.GraphQLRequests("discountCodeBasicCreate"), Is.Empty);
        });
        Assert.That((await EmailsToAsync("unsub@example.test")).Count, Is.EqualTo(1));

        // And a later checkout from the same customer starts nothing.
        await app.PublishAsync(Checkout(checkoutId: "tok-2", email: "unsub@example.test"));
        var skipped = await app.WaitForFlowAsync(FlowId("unsub@example.test"), f => f.Status == "Skipped", "the new checkout to be skipped");
        Assert.That(skipped.EndReason, Does.Contain("unsubscribed"));
    }

    [Test]
    public async Task QuietHours_ReminderDelayedToTheirEnd()
    {
        _fake.ShopifyAnswers();
        // The store's zone is chosen so that it is around noon there now: quiet hours from an hour ago until 5 s from now
        // never cross midnight, whatever time the test runs (the orchestrator's own unit tests cover every hour).
        var offset = Math.Clamp(12 - DateTimeOffset.UtcNow.Hour, -12, 14);
        var zoneId = offset == 0 ? "Etc/GMT" : $"Etc/GMT{(offset > 0 ? "-" : "+")}{Math.Abs(offset)}";
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var localNow = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).TimeOfDay;
        var start = TimeSpan.FromSeconds(Math.Floor((localNow - TimeSpan.FromHours(1)).TotalSeconds));
        var end = TimeSpan.FromSeconds(Math.Floor((localNow + TimeSpan.FromSeconds(5)).TotalSeconds));
        var app = await StartShopifyAsync(c =>
        {
            c["Stores:s1:TimeZone"] = zoneId;
            c["AbandonedCart:SendCoupon"] = "false";
            c["Stores:s1:AbandonedCart:QuietHoursStart"] = start.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
            c["Stores:s1:AbandonedCart:QuietHoursEnd"] = end.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        });

        await app.PublishAsync(Checkout(email: "quiet@example.test"));
        var delayed = await app.WaitForFlowAsync(FlowId("quiet@example.test"), f => f.Has(CheckoutRecoveryOrchestrator.SendReminderStep, "Delayed"), "the reminder to be delayed");
        Assert.That(await EmailsToAsync("quiet@example.test"), Is.Empty, "not sent inside quiet hours");

        var email = (await MailSink.WaitForAsync(m => m.ToAddress == "quiet@example.test")).Single();
        var localSent = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).TimeOfDay;

        Assert.That(delayed.History.Last().Note, Does.Contain("quiet hours"));
        Assert.That(localSent, Is.GreaterThanOrEqualTo(end), "sent once the quiet hours ended, not dropped");
        Assert.That(email.Subject, Does.Contain("left something"));
    }

    [Test]
    public async Task Cooldown_SecondCheckoutWithinSevenDaysStartsNoFlow()
    {
        _fake.ShopifyAnswers();
        var app = await StartShopifyAsync(c => c["AbandonedCart:ReminderDelay"] = "00:00:05");

        await app.PublishAsync(Checkout(checkoutId: "tok-a", email: "cool@example.test"));
        await app.WaitForFlowAsync(FlowId("cool@example.test"), f => f.Status == "Waiting", "the first flow to start");
        await app.PublishAsync(Order(checkoutId: "tok-a", email: "cool@example.test"));
        await app.WaitForFlowAsync(FlowId("cool@example.test"), f => f.Status == "Exited", "the order to end the first flow");

        await app.PublishAsync(Checkout(checkoutId: "tok-b", email: "cool@example.test"));
        var second = await app.WaitForFlowAsync(FlowId("cool@example.test"), f => f.Status == "Skipped", "the second checkout to be skipped");

        Assert.That(second.EndReason, Does.StartWith("cooldown"));
        Assert.That(await EmailsToAsync("cool@example.test"), Is.Empty);
    }

    [Test]
    public async Task NoMarketingConsent_SkippedWithReason()
    {
        var app = await StartShopifyAsync();

        await app.PublishAsync(Checkout(email: "noconsent@example.test") with { AcceptsMarketing = false });

        var flow = await app.WaitForFlowAsync(FlowId("noconsent@example.test"), f => f.Status == "Skipped", "the checkout to be skipped");
        Assert.That(flow.EndReason, Does.Contain("consent"));
        Assert.That(await app.InstanceAsync(FlowId("noconsent@example.test")), Is.Null, "no orchestration was started");
    }

    [Test]
    public async Task ItemsOutOfStock_FlowExitsWithoutEmail()
    {
        _fake.ShopifyAnswers(inStock: false);
        var app = await StartShopifyAsync();

        await app.PublishAsync(Checkout(email: "gone@example.test"));

        var flow = await app.WaitForFlowAsync(FlowId("gone@example.test"), f => f.Status == "Exited", "the flow to exit");
        Assert.That(flow.EndReason, Does.Contain("no longer available"));
        Assert.That(await EmailsToAsync("gone@example.test"), Is.Empty);
    }

    [Test]
    public async Task Platform429_IsRetriedAndTheCouponArrives()
    {
        _fake.ShopifyAnswers();
        var created = new HashSet<string>();
        var calls = 0;
        _fake.OnGraphQL("discountCodeBasicCreate", r => Interlocked.Increment(ref calls) == 1
            ? new FakeResponse(429, new { errors = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service." }, new Dictionary<string, string> { ["Retry-After"] = "0.2" })
            : FakeResponse.Json(ShopifyDiscountAnswer(r, created)));
        var app = await StartShopifyAsync();

        await app.PublishAsync(Checkout(email: "throttled@example.test"));

        var emails = await MailSink.WaitForAsync(m => m.ToAddress == "throttled@example.test", count: 2);
        Assert.That(_fake.GraphQLRequests("discountCodeBasicCreate"), Has.Count.EqualTo(2));
        Assert.That(emails.Count(m => m.Subject.Contains("off", StringComparison.Ordinal)), Is.EqualTo(1));
    }

    [Test]
    public async Task CouponRefusedPermanently_RecordedAndNoCouponEmail()
    {
        _fake.ShopifyAnswers();
        _fake.OnGraphQLData("discountCodeBasicCreate", _ => new { discountCodeBasicCreate = new { codeDiscountNode = (object?)null, userErrors = new[] { new { field = new[] { "basicCodeDiscount" }, code = "INVALID", message = "Customer selection is invalid" } } } });
        var app = await StartShopifyAsync();

        await app.PublishAsync(Checkout(email: "refused@example.test"));

        var flow = await app.WaitForFlowAsync(FlowId("refused@example.test"), f => f.Status == "Completed", "the flow to complete");
        Assert.That(flow.Has(CheckoutRecoveryOrchestrator.IssueCouponStep, "Skipped"), Is.True);
        Assert.That(flow.Has(CheckoutRecoveryOrchestrator.SendCouponEmailStep, "Skipped"), Is.True);
        Assert.That((await EmailsToAsync("refused@example.test")).Count, Is.EqualTo(1), "the reminder only");
    }

    [Test]
    public async Task ProcessKilledAfterTheCouponStep_RestartSendsExactlyOneReminderAndOneCoupon()
    {
        _fake.ShopifyAnswers();
        // The process dies while the coupon email goes out: the reminder and the coupon are behind it.
        var crash = new HangOnSubject("off");
        var first = await StartShopifyAsync(services: s => s.Decorate<Automation.Email.IEmailSender>(inner => new HangingSender(inner, crash)));

        await first.PublishAsync(Checkout(email: "crash@example.test"));
        await crash.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await first.DisposeAsync();
        _app = null;

        var app = await StartShopifyAsync(keepStorage: true);
        await app.WaitForFlowAsync(FlowId("crash@example.test"), f => f.Status == "Completed", "the restarted app to finish the flow", TimeSpan.FromSeconds(60));
        var emails = await MailSink.WaitForAsync(m => m.ToAddress == "crash@example.test", count: 2);

        Assert.That(_fake.GraphQLRequests("discountCodeBasicCreate"), Has.Count.EqualTo(1), "the coupon step had completed and was not repeated");
        Assert.That(emails.Count(m => m.Subject.Contains("left something", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(emails.Count(m => m.Subject.Contains("off", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That((await EmailsToAsync("crash@example.test")).Count, Is.EqualTo(2));
    }

    [Test]
    public async Task ProcessKilledWhileCouponCallInFlight_RestartReusesTheSameCode()
    {
        var created = new HashSet<string>();
        var platformCreated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new ManualResetEventSlim();
        var first = true;
        _fake.ShopifyAnswers();
        _fake.OnGraphQL("discountCodeBasicCreate", r =>
        {
            var answer = ShopifyDiscountAnswer(r, created);
            if (first)
            {
                // The platform creates the coupon, but the app dies before it hears back.
                first = false;
                platformCreated.SetResult();
                release.Wait(TimeSpan.FromSeconds(20));
            }

            return FakeResponse.Json(answer);
        });
        var firstApp = await StartShopifyAsync();

        await firstApp.PublishAsync(Checkout(email: "inflight@example.test"));
        await platformCreated.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await firstApp.DisposeAsync();
        _app = null;
        release.Set();

        var app = await StartShopifyAsync(keepStorage: true);
        await app.WaitForFlowAsync(FlowId("inflight@example.test"), f => f.Status == "Completed", "the restarted app to finish the flow", TimeSpan.FromSeconds(60));
        var emails = await MailSink.WaitForAsync(m => m.ToAddress == "inflight@example.test", count: 2);

        var codes = _fake.GraphQLRequests("discountCodeBasicCreate").Select(r => r.Variables.GetProperty("basicCodeDiscount").Str("code")).ToList();
        Assert.That(codes, Has.Count.EqualTo(2), "retried after the crash");
        Assert.That(codes.Distinct().Count(), Is.EqualTo(1), "with the same code, which the platform reports as taken");
        Assert.That(created, Has.Count.EqualTo(1));
        Assert.That(emails.Single(m => m.Subject.Contains("off", StringComparison.Ordinal)).Text, Does.Contain(codes[0]));
        Assert.That((await EmailsToAsync("inflight@example.test")).Count(m => m.Subject.Contains("left something", StringComparison.Ordinal)), Is.EqualTo(1));
    }

    [Test]
    public async Task SettingsChangedWhileAFlowWaits_RunningFlowKeepsItsSettingsNewFlowsTakeTheNewOnes()
    {
        _fake.ShopifyAnswers();
        var before = await StartShopifyAsync(c => c["AbandonedCart:ReminderDelay"] = "00:00:03");
        var older = Checkout(checkoutId: "tok-old-settings", email: "settings-1@example.test");
        await before.PublishAsync(older);
        await before.WaitForFlowAsync(FlowId("settings-1@example.test"), f => f.Status == "Waiting", "the flow to start");
        await before.DisposeAsync();
        _app = null;

        var after = await StartShopifyAsync(c => c["AbandonedCart:CouponPercent"] = "25", keepStorage: true);
        var newer = Checkout(checkoutId: "tok-new-settings", email: "settings-2@example.test", customerId: 502);
        await after.PublishAsync(newer);
        await after.WaitForFlowAsync(FlowId("settings-1@example.test"), f => f.Status == "Completed", "the older flow to complete", TimeSpan.FromSeconds(60));
        await after.WaitForFlowAsync(FlowId("settings-2@example.test"), f => f.Status == "Completed", "the newer flow to complete");

        var percentages = _fake.GraphQLRequests("discountCodeBasicCreate")
            .Select(r => r.Variables.GetProperty("basicCodeDiscount"))
            .ToDictionary(d => d.Str("code"), d => d.GetProperty("customerGets").GetProperty("value").GetProperty("percentage").GetDouble());
        Assert.That(percentages[CouponCodeFor(older)], Is.EqualTo(0.1));
        Assert.That(percentages[CouponCodeFor(newer)], Is.EqualTo(0.25));
    }

    [Test]
    public async Task FlowEndpoint_RequiresTheAdminKey()
    {
        var app = await StartShopifyAsync();

        var anonymous = await app.Http.GetAsync(new Uri($"api/flows/{Store}/{FlowId()}", UriKind.Relative));
        var stats = await app.Http.GetAsync(new Uri($"api/stores/{Store}/stats", UriKind.Relative));

        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(stats.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task CustomerRedaction_ErasesTheCustomersFlows()
    {
        _fake.ShopifyAnswers();
        var app = await StartShopifyAsync(c => c["AbandonedCart:ReminderDelay"] = "00:00:05");
        await app.PublishAsync(Checkout(email: "forget@example.test"));
        await app.WaitForFlowAsync(FlowId("forget@example.test"), f => f.Status == "Waiting", "the flow to start");

        await app.PublishAsync(new Automation.Events.CustomerRedactRequested { Id = "redact-1", StoreId = Store, OccurredAt = DateTimeOffset.UtcNow, CustomerId = 501, Email = "forget@example.test" });

        // Erased in this order: the customer's rows and pointers, their outcomes, then the orchestration (terminated, then purged).
        await Eventually.Until(async () => await app.InstanceAsync(FlowId("forget@example.test")) is null, TimeSpan.FromSeconds(40), "the customer's orchestration to be terminated and purged");
        var rows = new List<string>();
        await foreach (var row in Azurite.Table(RecoveryCustomers.TableName).QueryAsync<Azure.Data.Tables.TableEntity>()) rows.Add(row.RowKey);
        Assert.That(rows, Is.Empty, "the customer's rows and pointers are erased");
        Assert.That(await app.FlowAsync(FlowId("forget@example.test")), Is.Null);
        Assert.That(await EmailsToAsync("forget@example.test"), Is.Empty);
    }

    private static async Task<Azure.Data.Tables.TableEntity?> CustomerRowAsync(string email)
    {
        var row = await Azurite.Table(RecoveryCustomers.TableName).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>(Store, RecoveryCustomers.CustomerRow(RecoveryIds.CustomerKey(email)));
        return row.HasValue ? row.Value : null;
    }

    private sealed class HangOnSubject(string subjectPart)
    {
        private int _hung;

        public string SubjectPart { get; } = subjectPart;
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool HangsNow() => Interlocked.Exchange(ref _hung, 1) == 0;
    }

    /// <summary>Stands in for the process dying in the middle of a send: the first matching email never completes.</summary>
    private sealed class HangingSender(Automation.Email.IEmailSender inner, HangOnSubject crash) : Automation.Email.IEmailSender
    {
        public async Task<string> SendAsync(Automation.Email.EmailMessage message, CancellationToken cancellationToken)
        {
            if (message.Subject.Contains(crash.SubjectPart, StringComparison.Ordinal) && crash.HangsNow())
            {
                crash.Reached.SetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return await inner.SendAsync(message, cancellationToken);
        }
    }
}
