using System.Diagnostics;
using System.Globalization;
using Automation.AbandonedCart;
using Automation.Events;
using Automation.Flows;
using Automation.Storage;
using Automation.Tests.Infrastructure;
using Azure.Data.Tables;

namespace Automation.Bench;

/// <summary>
/// Issue 3's figures, on Azurite with the real app (queue listeners, flow engine, SMTP to the mail sink, coupons at
/// a platform fake over HTTP):
///  1. N abandoned-checkout flows (delays shortened to a second) started from queue events, run and completed:
///     flows/s, and storage transactions per completed flow (every request the app's storage clients send; goal ≤ 12).
///  2. The app's memory with W flows waiting (reminder due in a day): goal flat, because state lives in storage.
/// <c>dotnet run -c Release --project bench/Automation.Bench -- abandoned-cart [N=1000] [W=100000]</c>
/// </summary>
public static class AbandonedCartBench
{
    private const string Store = "bench";
    private const double TransactionsGoal = 12;

    public static async Task RunAsync(string[] args)
    {
        var flows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000;
        var waiting = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
        _armBulkSeeded = args.Length <= 2 || args[2] != "rows-only";
        await Task.WhenAll(Azurite.StartAsync(), MailSink.StartAsync());
        await using var fake = await FakePlatform.StartAsync();
        var created = new HashSet<string>();
        fake.OnGraphQLData("CheckoutStock", v => new { nodes = v.GetProperty("ids").EnumerateArray().Select(id => new { id = id.GetString(), availableForSale = true }).ToArray() });
        fake.OnGraphQLData("discountCodeBasicCreate", v =>
        {
            lock (created) created.Add(v.GetProperty("basicCodeDiscount").GetProperty("code").GetString()!);
            return new { discountCodeBasicCreate = new { codeDiscountNode = new { id = "gid://shopify/DiscountCodeNode/1" }, userErrors = Array.Empty<object>() } };
        });
        try
        {
            if (flows > 0) Console.WriteLine(await RunFlowsAsync(fake, flows, created));
            if (waiting > 0) Console.WriteLine(await WaitingMemoryAsync(fake, waiting));
        }
        finally
        {
            MailSink.Stop();
            Azurite.Stop();
        }
    }

    /// <summary>Stores the waiting flows are spread over (a store is a partition of the Flows table).</summary>
    private const int MemoryStores = 16;

    private static Dictionary<string, string?> Settings(FakePlatform fake, string reminderDelay, string couponDelay)
    {
        var settings = BaseSettings(fake, reminderDelay, couponDelay);
        for (var i = 0; i < MemoryStores; i++)
        {
            settings[$"Stores:{Store}{i}:Platform"] = "Shopify";
            settings[$"Stores:{Store}{i}:ShopDomain"] = $"bench-store-{i}.myshopify.com";
            settings[$"Stores:{Store}{i}:WebhookSecret"] = "bench-secret";
        }

        return settings;
    }

    private static Dictionary<string, string?> BaseSettings(FakePlatform fake, string reminderDelay, string couponDelay) => new()
    {
        [$"Stores:{Store}:Platform"] = "Shopify",
        [$"Stores:{Store}:ShopDomain"] = "bench-store.myshopify.com",
        [$"Stores:{Store}:WebhookSecret"] = "bench-secret",
        [$"Stores:{Store}:AdminApiBaseUrl"] = fake.ShopifyAdminApiBaseUrl,
        [$"Stores:{Store}:AccessToken"] = "shpat_bench",
        [$"Stores:{Store}:Currency"] = "EUR",
        ["AbandonedCart:ReminderDelay"] = reminderDelay,
        ["AbandonedCart:CouponDelay"] = couponDelay,
        ["AbandonedCart:QuietHoursStart"] = "00:00:00",
        ["AbandonedCart:QuietHoursEnd"] = "00:00:00",
        ["Email:SmtpHost"] = "127.0.0.1",
        ["Email:SmtpPort"] = MailSink.SmtpPort.ToString(CultureInfo.InvariantCulture),
        ["Email:Security"] = "None",
        // Functions' defaults for a busy queue: batches of 16, poll back-off up to 1 s.
        ["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:01",
        ["AzureWebJobs.ProcessWebhookDelivery.Disabled"] = "true",
        ["AzureWebJobs.PurgeOldDeliveries.Disabled"] = "true",
        ["AzureWebJobs.RecordComplianceRequest.Disabled"] = "true",
    };

    private static async Task<string> RunFlowsAsync(FakePlatform fake, int count, HashSet<string> created)
    {
        await Azurite.ResetAsync();
        var (app, _) = await BenchApp.StartAsync(Settings(fake, "00:00:01", "00:00:01"));
        await using var _ = app;
        var counter = app.Services.GetRequiredService<StorageOperationCounter>();
        var publisher = app.Services.GetRequiredService<EventPublisher>();

        // Warm up (JIT, connections, tables and queues created), then measure what the app does when idle.
        await PublishAsync(publisher, "warm", 20);
        await UntilCompletedAsync("warm", 20, TimeSpan.FromSeconds(60));
        var idleFrom = counter.Count;
        var idleClock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(5));
        var idlePerSecond = (counter.Count - idleFrom) / idleClock.Elapsed.TotalSeconds;

        var before = counter.Count;
        var clock = Stopwatch.StartNew();
        await PublishAsync(publisher, "run", count);
        await UntilCompletedAsync("run", count, TimeSpan.FromMinutes(30));
        var elapsed = clock.Elapsed.TotalSeconds;
        var operations = counter.Count - before;

        // Storage the event intake does for each flow (one queue put, as EventPublisher does for a webhook) is included.
        var perFlow = operations / (double)count;
        var perFlowNet = (operations - (idlePerSecond * elapsed)) / count;
        var emails = (await MailSink.AllAsync()).Count;
        return string.Join(Environment.NewLine,
            $"abandoned-cart benchmark: {count} flows (wait 1 s → reminder → wait 1 s → coupon → coupon email) on Azurite, {Environment.ProcessorCount} cores",
            $"  completed in {elapsed:F1} s: {count / elapsed:F1} flows/s (each flow spends 2 s in its waits; {created.Count} coupons at the fake, {emails} emails in the sink)",
            $"  storage transactions per completed flow: {perFlow:F2} (of which idle polling {idlePerSecond * elapsed / count:F2}; net {perFlowNet:F2})",
            $"  ratio to goal ≤ {TransactionsGoal}: {perFlow / TransactionsGoal:F2} ({(perFlow <= TransactionsGoal ? "met" : "NOT met")}); net {perFlowNet / TransactionsGoal:F2} ({(perFlowNet <= TransactionsGoal ? "met" : "NOT met")})");
    }

    private static async Task<string> WaitingMemoryAsync(FakePlatform fake, int count)
    {
        await Azurite.ResetAsync();
        var (app, _) = await BenchApp.StartAsync(Settings(fake, "1.00:00:00", "1.00:00:00"));
        await using var _ = app;
        var recovery = app.Services.GetRequiredService<CheckoutRecovery>();

        // Flows are started by the same handler the queue trigger calls (the queue hop is left out to seed faster).
        await StartDirectAsync(recovery, "mem-warm", 0, 1_000);
        var points = new List<(int Flows, double Heap, double WorkingSet)> { (0, BenchApp.ManagedHeapMiB(), BenchApp.WorkingSetMiB()) };
        var started = 0;
        var clock = Stopwatch.StartNew();
        // Azurite (one Node thread, in memory) slows down as its table grows, so past AppStartedLimit the remaining flows
        // are written in bulk: the same rows (FlowEngine.NewFlow) and wake-up messages, 100 rows per transaction.
        var engine = app.Services.GetRequiredService<FlowEngine>();
        var definition = app.Services.GetRequiredService<AbandonedCheckoutFlow>().Definition;
        foreach (var target in Enumerable.Range(1, 10).Select(k => count * k / 10))
        {
            var viaApp = Math.Max(0, Math.Min(target, AppStartedLimit) - started);
            await StartDirectAsync(recovery, "mem", started, viaApp);
            await SeedWaitingAsync(engine, definition, "mem", started + viaApp, target - started - viaApp);
            started = target;
            points.Add((started, BenchApp.ManagedHeapMiB(), BenchApp.WorkingSetMiB()));
            Console.WriteLine($"  … {started,7} flows waiting after {clock.Elapsed.TotalSeconds,4:F0} s: heap {points[^1].Heap:F1} MiB, working set {points[^1].WorkingSet:F1} MiB");
        }

        var waiting = await CountWaitingAsync();

        // Slopes within each regime: what each further waiting flow costs the app (flat: ~0 bytes). The bulk writer runs in
        // this same process, so the step between the regimes is the bench's own clients and buffers, not the app.
        static double Slope((int Flows, double Heap, double WorkingSet) a, (int Flows, double Heap, double WorkingSet) b) =>
            b.Flows == a.Flows ? 0 : (b.Heap - a.Heap) * 1024 * 1024 / (b.Flows - a.Flows);
        var appPoints = points.Where(p => p.Flows <= AppStartedLimit).ToList();
        var bulk = points.Where(p => p.Flows > AppStartedLimit).ToList();
        var appSlope = appPoints.Count > 1 ? Slope(appPoints[0], appPoints[^1]) : 0;
        var bulkSlope = bulk.Count > 1 ? Slope(bulk[0], bulk[^1]) : 0;
        var lines = new List<string>
        {
            $"waiting-flows memory: {waiting} flows waiting (reminder due in 1 day) in storage, the first {Math.Min(count, AppStartedLimit)} started through the app, the rest written in bulk{(_armBulkSeeded ? "" : " (rows only, no wake-up messages)")}; the app's managed heap after a full GC:",
        };
        lines.AddRange(points.Select(p => $"  {p.Flows,7} waiting: heap {p.Heap,7:F1} MiB   working set {p.WorkingSet,7:F1} MiB"));
        lines.Add($"  heap per further waiting flow: {appSlope:F0} bytes while the app started {appPoints[0].Flows}→{appPoints[^1].Flows}"
            + (bulk.Count > 1 ? $", {bulkSlope:F0} bytes over the bulk-written {bulk[0].Flows}→{bulk[^1].Flows}" : "")
            + $"; goal flat: {(Math.Abs(appSlope) < 100 && Math.Abs(bulkSlope) < 100 ? "met" : "NOT met")}");
        return string.Join(Environment.NewLine, lines);
    }

    private const int AppStartedLimit = 20_000;

    /// <summary>Whether bulk-written flows also get their wake-up messages ("rows-only" leaves them out: faster on Azurite).</summary>
    private static bool _armBulkSeeded = true;

    private static async Task SeedWaitingAsync(FlowEngine engine, FlowDefinition<RecoveryState> definition, string prefix, int from, int count)
    {
        if (count <= 0) return;
        var table = Azurite.Table(FlowEngine.TableName);
        var queue = Azurite.Queue(QueueFlowTimers.QueueName);
        var settings = RecoverySettings.From(new AbandonedCartOptions { ReminderDelay = TimeSpan.FromDays(1), CouponDelay = TimeSpan.FromDays(1) });
        var batches = Enumerable.Range(from, count)
            .Select(i =>
            {
                var checkout = Checkout(prefix, i) with { StoreId = $"{Store}{i % MemoryStores}" };
                var state = new RecoveryState
                {
                    CheckoutId = checkout.CheckoutId, CustomerKey = RecoveryCustomers.Key(checkout.Email!), CustomerId = checkout.CustomerId, Email = checkout.Email!,
                    FirstName = checkout.FirstName, RecoveryUrl = checkout.RecoveryUrl, Currency = checkout.Currency, TotalPrice = checkout.TotalPrice,
                    LineItems = checkout.LineItems, CheckoutUpdatedAt = checkout.OccurredAt, StartedByEventId = checkout.Id, Settings = settings,
                };
                return engine.NewFlow(definition, checkout.StoreId, RecoveryCustomers.FlowId(checkout.StoreId, checkout.CheckoutId), state, state.CustomerKey, "seeded");
            })
            .GroupBy(row => row.PartitionKey)
            .SelectMany(g => g.Chunk(100))
            .ToList();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            int b;
            while ((b = Interlocked.Increment(ref next)) < batches.Count)
            {
                await table.SubmitTransactionAsync(batches[b].Select(row => new TableTransactionAction(TableTransactionActionType.Add, row)));
                foreach (var row in _armBulkSeeded ? batches[b] : [])
                {
                    var wake = new FlowWakeUp(row.StoreId, row.FlowId, row.WakeId, row.NextDueAt!.Value);
                    await queue.SendMessageAsync(BinaryData.FromObjectAsJson(wake, Automation.Runtime.Json.Options), visibilityTimeout: TimeSpan.FromDays(1), timeToLive: TimeSpan.FromSeconds(-1));
                }
            }
        }));
    }

    private static async Task StartDirectAsync(CheckoutRecovery recovery, string prefix, int from, int count)
    {
        var next = from - 1;
        var end = from + count;
        await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < end)
            {
                await recovery.OnCheckoutAsync(Checkout(prefix, i) with { StoreId = $"{Store}{i % MemoryStores}" }, isRetry: false, CancellationToken.None);
            }
        }));
    }

    private static async Task PublishAsync(EventPublisher publisher, string prefix, int count)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await publisher.PublishAsync(Checkout(prefix, i), CancellationToken.None);
            }
        }));
    }

    private static CheckoutStarted Checkout(string prefix, int i) => new()
    {
        Id = $"checkout:{prefix}-{i}",
        StoreId = Store,
        OccurredAt = DateTimeOffset.UtcNow,
        CheckoutId = $"{prefix}-{i}",
        CustomerId = 100_000 + i,
        Email = $"{prefix}-{i}@bench.test",
        FirstName = "Bench",
        AcceptsMarketing = true,
        RecoveryUrl = $"https://bench-store.myshopify.com/checkouts/{prefix}-{i}/recover",
        Currency = "EUR",
        TotalPrice = 42m,
        LineItems = [new LineItem(1, 11, "SKU-1", "Bench mug", 2, 21m)],
    };

    private static async Task UntilCompletedAsync(string prefix, int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (await CountAsync(prefix, FlowStatus.Completed) < count)
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"Only some of {count} '{prefix}' flows completed within {timeout}.");
            await Task.Delay(250);
        }
    }

    private static async Task<int> CountWaitingAsync()
    {
        var total = 0;
        await foreach (var _ in Azurite.Table(FlowEngine.TableName).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"Status eq {nameof(FlowStatus.Waiting)}"), select: ["RowKey"]))
        {
            total++;
        }

        return total;
    }

    /// <summary>Counted by the bench's own client, so the app's transaction count is not disturbed.</summary>
    private static async Task<int> CountAsync(string prefix, FlowStatus status)
    {
        var table = Azurite.Table(FlowEngine.TableName);
        var total = 0;
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Store} and Status eq {status.ToString()}"), select: ["RowKey", "State"]))
        {
            if (row.GetString("State")?.Contains($"\"checkoutId\":\"{prefix}", StringComparison.Ordinal) == true) total++;
        }

        return total;
    }
}
