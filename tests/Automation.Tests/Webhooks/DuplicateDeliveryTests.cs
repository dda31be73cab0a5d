using System.Net;
using Automation.Events;
using Automation.Storage;
using Automation.Tests.Infrastructure;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;

namespace Automation.Tests.Webhooks;

/// <summary>
/// A platform sends a delivery more than once (Shopify retries with the same event id). Only a copy of a delivery whose
/// first copy settled is acknowledged without effect; a copy of one whose first copy failed into poison, or whose
/// process died holding it, is processed; and two copies at once still publish once.
/// </summary>
[NonParallelizable]
public sealed class DuplicateDeliveryTests
{
    private const string ShopDomain = "demo-store.myshopify.com";
    private static readonly string Secret = WebhookIntakeTests.ShopSecret;

    private readonly StorageFault _fault = new(QueueNames.AbandonedCartEvents);
    private TestApp _app = null!;

    [SetUp]
    public async Task StartApp()
    {
        _fault.Failing = false;
        _fault.Delay = TimeSpan.Zero;
        _app = await TestApp.StartAsync(WebhookIntakeTests.ConfigureStores, services => services.Configure<StorageClientsOptions>(o => o.Policies.Add(_fault)));
    }

    [TearDown]
    public async Task StopApp() => await _app.DisposeAsync();

    private static HttpRequestMessage Copy(string eventId) =>
        Deliveries.Shopify(ShopDomain, "checkouts/create", Deliveries.Fixture("shopify/checkouts.create.json"), Secret, eventId: eventId);

    /// <summary>The delivery's row: keyed by the hash of its dedupe key, as <c>DeliveryLog</c> keeps it.</summary>
    private static string RowKey(string eventId) => StorageKeys.Hash($"shopify:checkouts/create:event:{eventId}");

    private static async Task<TableEntity?> RowAsync(string eventId)
    {
        var row = await Azurite.Table(TableNames.WebhookDeliveries).GetEntityIfExistsAsync<TableEntity>("shop", RowKey(eventId));
        return row.HasValue ? row.Value : null;
    }

    private static async Task<int> CheckoutsPublishedAsync() => (await TestApp.PeekEventsAsync(QueueNames.AbandonedCartEvents)).OfType<CheckoutStarted>().Count();

    private static Task SettledAsync(string eventId, string status) =>
        Eventually.Until(async () => (await RowAsync(eventId))?.GetString("Status") == status && await TestApp.CountMessagesAsync(QueueNames.WebhookDeliveries) == 0,
            TimeSpan.FromSeconds(30), $"the delivery {status} and no copy left on the queue");

    [Test]
    public async Task FirstCopyPoisoned_LaterCopyIsProcessed_AndPublishesOnce()
    {
        // Every attempt of the first copy fails on the way to the automation's queue, until it is in poison.
        _fault.Failing = true;
        Assert.That((await _app.Http.SendAsync(Copy("evt-poisoned"))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await Eventually.Until(async () => (await TestApp.PeekPoisonAsync(QueueNames.WebhookDeliveries)).Count == 1, TimeSpan.FromSeconds(30), "the first copy in poison");
        Assert.That((await RowAsync("evt-poisoned"))!.GetString("Status"), Is.EqualTo("Failed"));
        Assert.That(await CheckoutsPublishedAsync(), Is.Zero);

        // The outage is over; Shopify sends its next copy.
        _fault.Failing = false;
        Assert.That((await _app.Http.SendAsync(Copy("evt-poisoned"))).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        await SettledAsync("evt-poisoned", "Processed");
        Assert.That(await CheckoutsPublishedAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task FirstCopyStuck_ItsLeaseRanOut_SecondCopyIsProcessed()
    {
        // The first copy's process died while it held the delivery: its row says Received, with a lease that has run out.
        var table = Azurite.Table(TableNames.WebhookDeliveries);
        await table.CreateIfNotExistsAsync();
        await table.AddEntityAsync(new TableEntity("shop", RowKey("evt-stuck"))
        {
            ["DeliveryId"] = "copy-that-died",
            ["Topic"] = "checkouts/create",
            ["Platform"] = "Shopify",
            ["ReceivedAt"] = DateTimeOffset.UtcNow.AddMinutes(-3),
            ["Status"] = "Received",
            ["LeaseUntil"] = DateTimeOffset.UtcNow.AddMinutes(-2),
        });

        Assert.That((await _app.Http.SendAsync(Copy("evt-stuck"))).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        await SettledAsync("evt-stuck", "Processed");
        Assert.That(await CheckoutsPublishedAsync(), Is.EqualTo(1));
        Assert.That((await RowAsync("evt-stuck"))!.GetString("LeaseHolder"), Is.Not.EqualTo("copy-that-died"));
    }

    [Test]
    public async Task TwoCopiesAtOnce_PublishOnce()
    {
        // Publishing is slow, so the second copy arrives while the first still holds the delivery.
        _fault.Delay = TimeSpan.FromSeconds(2);

        var responses = await Task.WhenAll(_app.Http.SendAsync(Copy("evt-twice")), _app.Http.SendAsync(Copy("evt-twice")));

        Assert.That(responses.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
        await SettledAsync("evt-twice", "Processed");
        Assert.That(await CheckoutsPublishedAsync(), Is.EqualTo(1));
        Assert.That(await TestApp.PeekPoisonAsync(QueueNames.WebhookDeliveries), Is.Empty);
    }

    [Test]
    public async Task CopyOfASettledDelivery_IsAcknowledgedWithoutAnotherEffect()
    {
        await _app.Http.SendAsync(Copy("evt-done"));
        await SettledAsync("evt-done", "Processed");

        await _app.Http.SendAsync(Copy("evt-done"));

        await SettledAsync("evt-done", "Processed");
        Assert.That(await CheckoutsPublishedAsync(), Is.EqualTo(1));
        Assert.That((await RowAsync("evt-done"))!.GetInt32("Attempts"), Is.EqualTo(1), "the later copy did not take the delivery");
    }

    /// <summary>
    /// Storage trouble on one queue, at the app's storage clients' HTTP pipeline: puts to it fail (an outage) or are slow.
    /// </summary>
    private sealed class StorageFault(string queue) : HttpPipelinePolicy
    {
        public volatile bool Failing;

        public TimeSpan Delay { get; set; }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            if (message.Request.Method == RequestMethod.Post && message.Request.Uri.Path.EndsWith($"/{queue}/messages", StringComparison.Ordinal))
            {
                if (Failing) throw new RequestFailedException(503, $"Injected outage of queue {queue}.");
                if (Delay > TimeSpan.Zero) await Task.Delay(Delay, message.CancellationToken);
            }

            await ProcessNextAsync(message, pipeline);
        }
    }
}
