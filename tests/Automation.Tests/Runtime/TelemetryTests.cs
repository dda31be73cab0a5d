using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Automation.Runtime;
using Automation.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using static Automation.Tests.AbandonedCart.RecoveryScenario;

namespace Automation.Tests.Runtime;

/// <summary>
/// What an operator sees in Application Insights, captured with OpenTelemetry's in-memory exporter instead: a webhook
/// and the flow it starts are one trace, the counters move, and no span or metric carries an email address.
/// </summary>
[NonParallelizable]
public sealed partial class TelemetryTests
{
    private const string Customer = "trace.me@example.test";

    private FakePlatform _fake = null!;
    private TestApp? _app;
    private readonly LockedList<Activity> _spans = new();
    private readonly LockedList<MetricSnapshot> _metrics = new();

    [SetUp]
    public async Task SetUp()
    {
        await MailSink.ClearAsync();
        _fake = await FakePlatform.StartAsync();
        _fake.ShopifyAnswers();
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_app is not null) await _app.DisposeAsync();
        _app = null;
        await _fake.DisposeAsync();
    }

    [Test]
    public async Task WebhookToRecoveryFlow_IsOneTrace_WithTheCounters_AndNoEmailAddress()
    {
        var app = _app = await TestApp.StartAsync(c =>
        {
            ShopifyStore(c, _fake);
            FastFlows(c);
        }, services => services.AddOpenTelemetry()
            .WithTracing(t => t.AddInMemoryExporter(_spans))
            .WithMetrics(m => m.AddInMemoryExporter(_metrics)));

        var response = await app.Http.SendAsync(Checkout());
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await MailSink.WaitForAsync(m => m.ToAddress == Customer, count: 2);
        await app.WaitForFlowAsync(FlowId(Customer), f => f.Status == "Completed", "the flow to complete");
        await Eventually.Until(() => Task.FromResult(_spans.Snapshot().Any(s => s.DisplayName == nameof(Automation.AbandonedCart.RecordRecoveryOutcome))), TimeSpan.FromSeconds(30), "the flow's last activity to be traced");
        app.Services.GetRequiredService<MeterProvider>().ForceFlush();

        var spans = _spans.Snapshot();
        var intake = spans.Single(s => s.DisplayName == "ReceiveShopifyWebhook");
        var trace = spans.Where(s => s.TraceId == intake.TraceId).Select(s => s.DisplayName).ToList();
        Assert.That(trace, Is.SupersetOf(new[]
        {
            "ProcessWebhookDelivery", // the delivery, off the webhook-deliveries queue
            "RecoverAbandonedCheckouts", // the event, off abandoned-cart-events, starting the orchestration
            "SendRecoveryReminder", "IssueRecoveryCoupon", "SendRecoveryCouponEmail", // the flow's activities
            "effect email", "effect coupon", // the effects themselves
        }), "one trace from the webhook to the last email");
        Assert.That(spans.Where(s => s.TraceId == intake.TraceId && s.Source.Name == "System.Net.Http").Select(s => s.GetTagItem("url.full")?.ToString()),
            Has.Some.EndsWith("/graphql.json"), "the platform calls are in the trace");
        Assert.That(spans.Where(s => s.Source.Name == "System.Net.Http").Select(s => s.GetTagItem("url.full")?.ToString()),
            Has.None.Contains("/devstoreaccount1"), "storage calls are not exported: most of the volume, little to learn");

        Assert.Multiple(() =>
        {
            Assert.That(Sum("automation.deliveries.accepted"), Is.EqualTo(1));
            Assert.That(Sum("automation.flows.started"), Is.EqualTo(1));
            Assert.That(Sum("automation.flows.completed"), Is.EqualTo(1));
            Assert.That(Sum("automation.emails.sent"), Is.EqualTo(2), "reminder and coupon email");
            Assert.That(Sum("automation.coupons.issued"), Is.EqualTo(1));
        });

        var tagValues = spans.SelectMany(s => s.TagObjects.Select(t => $"{s.DisplayName} {t.Key}={t.Value}").Append($"{s.DisplayName} status={s.StatusDescription}"))
            .Concat(_metrics.Snapshot().SelectMany(m => m.MetricPoints.SelectMany(p => Tags(p).Select(t => $"{m.Name} {t.Key}={t.Value}"))))
            .ToList();
        Assert.That(tagValues, Is.Not.Empty);
        Assert.That(tagValues.Where(v => EmailAddress().IsMatch(v)), Is.Empty, "no personal data in telemetry");
        Assert.That(spans.Select(s => s.DisplayName).Where(n => EmailAddress().IsMatch(n)), Is.Empty);
    }

    [Test]
    public async Task RefusedWebhook_IsCountedWithItsReason()
    {
        var app = _app = await TestApp.StartAsync(c => ShopifyStore(c, _fake), services => services.AddOpenTelemetry().WithMetrics(m => m.AddInMemoryExporter(_metrics)));

        var forged = Deliveries.Shopify("s1.myshopify.com", "checkouts/create", "{}", "not-the-secret");
        var response = await app.Http.SendAsync(forged);
        app.Services.GetRequiredService<MeterProvider>().ForceFlush();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var refused = _metrics.Snapshot().Last(m => m.Name == "automation.deliveries.refused").MetricPoints.Single();
        Assert.That(Tags(refused), Does.Contain(new KeyValuePair<string, object?>("reason", "signature")));
        Assert.That(Sum("automation.deliveries.accepted"), Is.Zero);
    }

    [Test]
    public void EmailAddressInALibrarysTag_IsRedactedBeforeExport()
    {
        using var activity = new Activity("smtp").SetTag("error", "550 <someone@example.test>: mailbox unavailable").SetTag("store.id", "s1");
        activity.SetStatus(ActivityStatusCode.Error, "rejected someone@example.test");

        new TelemetryRegistration.RedactEmailAddresses().OnEnd(activity);

        Assert.That(activity.GetTagItem("error"), Is.EqualTo("550 <[redacted]>: mailbox unavailable"));
        Assert.That(activity.GetTagItem("store.id"), Is.EqualTo("s1"));
        Assert.That(activity.StatusDescription, Is.EqualTo("rejected [redacted]"));
    }

    [Test]
    public void MessagesCarryTheTraceContext_AndConsumersReadIt()
    {
        using var source = new ActivitySource("TelemetryTests");
        using var listener = new ActivityListener { ShouldListenTo = s => s.Name == "TelemetryTests", Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded };
        ActivitySource.AddActivityListener(listener);
        using var producer = source.StartActivity("publish")!;

        var stamped = AutomationTelemetry.WithTraceParent(BinaryData.FromString("""{"storeId":"s1","n":1}"""));
        var read = AutomationTelemetry.TraceParentOf(stamped.ToMemory());

        Assert.That(JsonNode.Parse(stamped)!["n"]!.GetValue<int>(), Is.EqualTo(1), "the message is otherwise unchanged");
        Assert.That(read?.TraceId, Is.EqualTo(producer.TraceId));
        Assert.That(read?.SpanId, Is.EqualTo(producer.SpanId));
        Assert.That(AutomationTelemetry.TraceParentOf(BinaryData.FromString("not json").ToMemory()), Is.Null);
        Assert.That(AutomationTelemetry.TraceParentOf(BinaryData.FromString("""{"traceParent":"garbage"}""").ToMemory()), Is.Null);
    }

    [Test]
    public void WithoutAConnectionString_NothingIsCollected()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" }).Build();
        var services = new ServiceCollection();

        services.AddTelemetry(configuration);
        using var provider = services.BuildServiceProvider();

        Assert.That(provider.GetService<TracerProvider>(), Is.Null);
        Assert.That(provider.GetService<MeterProvider>(), Is.Null);
    }

    [TestCase("ClientId=6f1c1bde-9a1e-4d0b-8f38-2f1f4e0b7a11;Authorization=AAD", true)]
    [TestCase("Authorization=AAD", true)]
    [TestCase("", false)]
    [TestCase("Authorization=None", false)]
    public void AuthenticationString_ChoosesEntraAuthWithTheIdentity(string setting, bool entra)
    {
        var credential = TelemetryRegistration.EntraCredential(setting);

        Assert.That(credential, entra ? Is.InstanceOf<Azure.Identity.ManagedIdentityCredential>() : Is.Null);
    }

    private long Sum(string metric) =>
        _metrics.Snapshot().LastOrDefault(m => m.Name == metric) is { } snapshot ? snapshot.MetricPoints.Sum(p => p.GetSumLong()) : 0;

    private static List<KeyValuePair<string, object?>> Tags(MetricPoint point)
    {
        var tags = new List<KeyValuePair<string, object?>>();
        foreach (var tag in point.Tags) tags.Add(tag);
        return tags;
    }

    private static HttpRequestMessage Checkout()
    {
        var checkout = JsonNode.Parse(Deliveries.Fixture("shopify/checkouts.create.json"))!;
        checkout["email"] = Customer;
        checkout["token"] = "tok-trace";
        checkout["updated_at"] = DateTimeOffset.UtcNow.ToString("O");
        return Deliveries.Shopify($"{Store}.myshopify.com", "checkouts/create", checkout.ToJsonString(), "secret-" + Store, eventId: "event-trace");
    }

    [GeneratedRegex(@"[^\s@<>=]+@[^\s@<>]+\.[A-Za-z]{2,}")]
    private static partial Regex EmailAddress();

    /// <summary>Exporters add from the threads that end spans; the test reads a copy.</summary>
    private sealed class LockedList<T> : Collection<T>
    {
        private readonly Lock _lock = new();

        public List<T> Snapshot()
        {
            lock (_lock) return [.. Items];
        }

        protected override void InsertItem(int index, T item)
        {
            lock (_lock) base.InsertItem(index, item);
        }

        protected override void ClearItems()
        {
            lock (_lock) base.ClearItems();
        }
    }
}
