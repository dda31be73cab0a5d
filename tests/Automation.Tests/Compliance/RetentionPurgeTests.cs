using System.Net;
using Automation.Retention;
using Automation.Storage;
using Automation.Tests.Infrastructure;
using Microsoft.DurableTask.Client;

namespace Automation.Tests.Compliance;

/// <summary>
/// The daily purges: what is past its retention goes, what is within it or still active stays, every table is read by
/// key, and ended flows (whose history holds customers' emails) are purged after <c>Retention:FlowDays</c>.
/// </summary>
[NonParallelizable]
public sealed class RetentionPurgeTests
{
    private const string Store = "shop";
    private const string Email = "ottilie.brandwijk@example.test";
    private const string LastName = "Brandwijk";
    private const string Waiting = "waiting.shopper@example.test";

    private readonly StorageRequests _requests = new();
    private FakePlatform _platform = null!;
    private TestApp _app = null!;

    [SetUp]
    public async Task SetUp()
    {
        await MailSink.ClearAsync();
        _platform = await FakePlatform.StartAsync();
        ErasureScenario.ProgramShopify(_platform, Email, "Ottilie", LastName);
        _app = await TestApp.StartAsync(
            s => ErasureScenario.Configure(s, _platform, Store),
            services => services.Configure<StorageClientsOptions>(o => o.Policies.Add(_requests)));
    }

    [TearDown]
    public async Task TearDown()
    {
        await _app.DisposeAsync();
        await _platform.DisposeAsync();
    }

    [Test]
    public async Task DailyPurge_RemovesOnlyWhatIsPastItsRetention_ReadingEveryTableByKey()
    {
        var customer = new ErasureScenario(_app, Store, Email, "Ottilie", LastName);
        await customer.SeedAsync();
        var purges = _app.Services.GetRequiredService<RetentionPurges>();
        var now = DateTimeOffset.UtcNow;

        var tomorrow = await purges.RunAsync(now.AddDays(1), CancellationToken.None);
        Assert.That(tomorrow.Where(p => p.Value > 0), Is.Empty, "nothing is purged within its retention");
        Assert.That(await StorageScan.FindAsync(Email), Has.Some.Contains($"table {TableNames.WebhookDeliveries} "), "the raw deliveries are kept for now");

        _requests.Clear();
        var inTwoWeeks = await purges.RunAsync(now.AddDays(15), CancellationToken.None);

        Assert.That(inTwoWeeks[TableNames.WebhookDeliveries], Is.GreaterThan(0));
        var left = await StorageScan.FindAsync(Email);
        Assert.That(left, Has.None.Contains($"table {TableNames.WebhookDeliveries} "), "raw deliveries go after Webhooks:RetentionDays (14)");
        Assert.That(left, Has.Some.Contains("table Returns "), "the return is kept for Retention:ReturnDays");
        Assert.That(left, Has.Some.Contains("table Waitlist "), "the waiting signup is kept");
        var reads = _requests.All.Where(r => r.IsTableRead()).Select(r => r.Path + r.Query).ToList();
        Assert.That(reads, Is.Not.Empty);
        Assert.That(reads, Has.All.Contains("PartitionKey"), "every table read names the partition (no scan, no filter on a non-key column alone)");

        var inTwoYears = await purges.RunAsync(now.AddDays(2 * 365), CancellationToken.None);
        Assert.That(inTwoYears["Returns"], Is.GreaterThan(0));
        left = await StorageScan.FindAsync(Email);
        Assert.That(left, Has.None.Contains("table Returns "), "the ended return goes after Retention:ReturnDays (365)");
        Assert.That(left, Has.None.Contains("table Waitlist"), "a signup still waiting after Retention:WaitlistDays (365) expires");
        Assert.That(await customer.LabelExistsAsync(), Is.False, "the return's label goes with it");
    }

    [Test]
    public async Task EndedFlows_ArePurgedAfterFlowDays_RunningOnesAreKept()
    {
        var customer = new ErasureScenario(_app, Store, Email, "Ottilie", LastName);
        await customer.SeedAsync();
        var durable = _app.Services.GetRequiredService<DurableTaskClient>();
        var ended = Automation.Returns.StartReturnFlow.InstanceId(Store, customer.Rma!);

        // Another customer's checkout: their recovery flow is waiting for its reminder.
        var checkout = Deliveries.Fixture("shopify/checkouts.create.json").Replace("ann.buyer@example.com", Waiting, StringComparison.Ordinal);
        var response = await _app.Http.SendAsync(Deliveries.Shopify(ErasureScenario.DomainOf(Store), "checkouts/create", checkout, ErasureScenario.SecretOf(Store)));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var running = Automation.AbandonedCart.RecoveryIds.InstanceId(Store, Automation.AbandonedCart.RecoveryIds.CustomerKey(Waiting));
        await Eventually.Until(async () => await durable.GetInstanceAsync(running) is { RuntimeStatus: OrchestrationRuntimeStatus.Running }, TimeSpan.FromSeconds(30), "the other customer's flow waiting");

        var purge = ActivatorUtilities.CreateInstance<PurgeEndedFlows>(_app.Services);
        var now = DateTimeOffset.UtcNow;

        Assert.That(await purge.PurgeAsync(durable, now.AddDays(29), CancellationToken.None), Is.Zero, "within Retention:FlowDays (30)");
        Assert.That(await durable.GetInstanceAsync(ended), Is.Not.Null);

        Assert.That(await purge.PurgeAsync(durable, now.AddDays(31), CancellationToken.None), Is.GreaterThanOrEqualTo(2), "the return's and the first customer's recovery flow");
        Assert.That(await durable.GetInstanceAsync(ended), Is.Null, "the ended return flow's history and input are gone");
        Assert.That(await durable.GetInstanceAsync(running), Is.Not.Null.And.Property(nameof(OrchestrationMetadata.RuntimeStatus)).EqualTo(OrchestrationRuntimeStatus.Running), "a running flow is kept whatever its age");
        Assert.That(await StorageScan.FindAsync(Email), Has.None.Matches<string>(f => f!.Contains("History", StringComparison.Ordinal) || f.Contains("Instances", StringComparison.Ordinal)),
            "the ended flows' inputs held the customer's email");
    }
}
