using Automation.Stores;
using System.Diagnostics;
using System.Globalization;
using Automation.Events;
using Automation.Flows;
using Automation.Runtime;
using Automation.Inventory;
using Automation.Restock;
using Automation.Storage;
using Automation.Tests.Infrastructure;
using Azure.Data.Tables;
using Microsoft.DurableTask.Client;

namespace Automation.Bench;

/// <summary>
/// Issue 4's figures, in one run on Azurite:
/// <list type="number">
/// <item>10,000 subscribers on one variant, restocked with enough stock: time until every one is told by the
/// <c>NotifyWaitlistV1</c> orchestration on the Durable engine (real SMTP, maildev), duplicates (goal 0: each address
/// exactly once), and memory;</item>
/// <item>inventory events processed per second end to end (queue → view → completion) against the bare-client
/// ceiling: the same storage operations per event (receive, read row, write row, delete message) at the same
/// concurrency, with no app in between.</item>
/// </list>
/// <c>dotnet run -c Release --project bench/Automation.Bench -- restock [subscribers] [events]</c>
/// </summary>
public static class RestockBench
{
    private const string StoreId = "bench";
    private const long ProductId = 100;
    private const long VariantId = 11;

    public static async Task RunAsync(string[] args)
    {
        var subscribers = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var events = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5_000;
        await Task.WhenAll(Azurite.StartAsync(), MailSink.StartAsync());
        try
        {
            if (subscribers > 0) await WaitlistAsync(subscribers);
            if (events > 0)
            {
                await Azurite.ResetAsync();
                await EventsAsync(events);
            }
        }
        finally
        {
            Azurite.Stop();
            MailSink.Stop();
        }
    }

    private static Dictionary<string, string?> Settings() => new()
    {
        [$"Stores:{StoreId}:Platform"] = "Shopify",
        [$"Stores:{StoreId}:ShopDomain"] = "bench-store.myshopify.com",
        [$"Stores:{StoreId}:WebhookSecret"] = "bench-secret",
        ["Inventory:DefaultLowStockThreshold"] = "-1",
        ["OutOfStock:Tag"] = "",
        ["Email:SmtpHost"] = "127.0.0.1",
        ["Email:SmtpPort"] = MailSink.SmtpPort.ToString(CultureInfo.InvariantCulture),
        ["Email:Security"] = "None",
        ["Email:FromAddress"] = "shop@example.test",
        ["Restock:BatchInterval"] = "00:00:00",
        ["Restock:SendConcurrency"] = Environment.GetEnvironmentVariable("BENCH_SEND_CONCURRENCY") ?? "32",
        ["Restock:PublicBaseUrl"] = "https://automation.example.test",
        ["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.200",
        // As the tests do: host.json's 30 s would let an idle task hub wait that long between polls.
        ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:maxQueuePollingInterval"] = "00:00:01",
        ["AzureWebJobs.SendLowStockDigest.Disabled"] = "true",
        ["AzureWebJobs.PurgeOldDeliveries.Disabled"] = "true",
    };

    private static async Task WaitlistAsync(int subscribers)
    {
        var (app, _) = await BenchApp.StartAsync(Settings());
        await using var _ = app;
        var publisher = app.Services.GetRequiredService<EventPublisher>();
        var waitlist = app.Services.GetRequiredService<Waitlist>();
        var options = app.Services.GetRequiredService<StoreSettings<RestockOptions>>().For(StoreId);

        await publisher.PublishAsync(new ProductUpdated
        {
            Id = "bench-product", StoreId = StoreId, OccurredAt = DateTimeOffset.UtcNow, ProductId = ProductId, Title = "Bench mug",
            Url = "https://bench-store.myshopify.com/products/bench-mug",
            Variants = [new VariantSnapshot(VariantId, "BENCH-1", "Default Title", null, 0, true, false, null, null, 10m)],
        }, CancellationToken.None);
        await UntilAsync(async () => (await app.Services.GetRequiredService<InventoryView>().GetAsync(StoreId, VariantId, CancellationToken.None))?.State.SoldOut == true, "the variant to be sold out");

        var seeding = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < subscribers)
            {
                await waitlist.SubscribeAsync(StoreId, VariantId, $"s{i.ToString("D5", CultureInfo.InvariantCulture)}@bench.test", null, WaitlistEndpoints.DefaultConsentText, "bench", CancellationToken.None);
            }
        }));
        Console.WriteLine($"waitlist benchmark: {subscribers} subscribers on one variant (seeded in {seeding.Elapsed.TotalSeconds:F1} s), {Environment.ProcessorCount} cores");
        var heapBefore = BenchApp.ManagedHeapMiB();

        var peakWorkingSet = BenchApp.WorkingSetMiB();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakWorkingSet = Math.Max(peakWorkingSet, BenchApp.WorkingSetMiB());
                try { await Task.Delay(100, sampling.Token); } catch (OperationCanceledException) { }
            }
        });

        var clock = Stopwatch.StartNew();
        await publisher.PublishAsync(new InventoryLevelChanged
        {
            Id = "bench-restock", StoreId = StoreId, OccurredAt = DateTimeOffset.UtcNow, VariantId = VariantId, ProductId = ProductId,
            Sku = "BENCH-1", LocationId = "default", Available = subscribers,
        }, CancellationToken.None);
        await UntilAsync(async () => await waitlist.WaitingAsync(StoreId, VariantId, CancellationToken.None) == 0, "every subscriber to be told", TimeSpan.FromMinutes(30), TimeSpan.FromMilliseconds(500));
        var elapsed = clock.Elapsed;
        await sampling.CancelAsync();
        await sampler;
        var heapAfter = BenchApp.ManagedHeapMiB();

        // The run ends with a batch that finds the list empty (no interval to wait here).
        var durable = app.Services.GetRequiredService<DurableTaskClient>();
        OrchestrationMetadata? run = null;
        await UntilAsync(async () => (run = await durable.GetInstanceAsync(WaitlistRun.InstanceIdFor(StoreId, VariantId, 1), getInputsAndOutputs: true)) is { IsCompleted: true }, "the waitlist run to end", TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(200));
        var progress = run!.ReadCustomStatusAs<FlowProgress>();

        var received = await MailSink.AllAsync();
        var perAddress = received.GroupBy(m => m.ToAddress).ToList();
        var duplicates = perAddress.Sum(g => g.Count() - 1);
        // A re-send after an SMTP failure carries the same Message-Id (derived from the idempotency key): count those apart.
        var distinctDuplicates = perAddress.Sum(g => g.Select(m => m.Header("message-id")).Distinct().Count() - 1);
        var missing = subscribers - perAddress.Count;
        Console.WriteLine($"  notify all : {elapsed.TotalSeconds,8:F1} s   ({subscribers / elapsed.TotalSeconds:F0} emails/s; batches of up to {options.MaxBatchSize}, {options.SendConcurrency} concurrent SMTP sends, interval {options.BatchInterval})");
        Console.WriteLine($"  duplicates : {duplicates,8} (goal 0: {(duplicates == 0 ? "met" : "NOT met")}); of which distinct messages (other Message-Id): {distinctDuplicates}; addresses not reached: {missing}");
        Console.WriteLine($"  run        : {run.RuntimeStatus}, {run.ReadInputAs<WaitlistRun>()?.Batch} batches (the last finds the list empty), {progress?.State}: {progress?.EndReason}");
        Console.WriteLine($"  memory     : peak working set {peakWorkingSet:F0} MiB; managed heap {heapBefore:F1} MiB before, {heapAfter:F1} MiB after (the list is paged, never loaded whole)");
    }

    private static async Task EventsAsync(int events)
    {
        const int variants = 500;
        var round = 0;
        var start = DateTimeOffset.UtcNow;
        List<BinaryData> Bodies() => [.. Enumerable.Range(0, events).Select(i => BinaryData.FromObjectAsJson<StoreEvent>(new InventoryLevelChanged
        {
            Id = $"bench-level-{round}-{i}", StoreId = StoreId, OccurredAt = start.AddHours(round).AddSeconds(i), VariantId = 1000 + (i % variants), // each round newer: real updates
            ProductId = ProductId, Sku = $"SKU-{i % variants}", LocationId = "default", Available = 50 + (i % 7),
        }, Json.Options))];

        async Task<(double Rate, double OpsPerEvent)> AppRoundAsync()
        {
            // Pre-filled, so the app drains the queue at full speed from the moment its listeners start.
            var queue = Azurite.Queue(QueueNames.InventoryEvents);
            await queue.CreateIfNotExistsAsync();
            await ForEachAsync(Bodies(), 32, b => queue.SendMessageAsync(b));
            var (app, _) = await BenchApp.StartAsync(Settings());
            await using (app)
            {
                var clock = Stopwatch.StartNew(); // App start-up is not event processing.
                var counter = app.Services.GetRequiredService<StorageOperationCounter>();
                var before = counter.Count;
                await UntilAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, "the queue to drain", TimeSpan.FromMinutes(30), TimeSpan.FromMilliseconds(100));
                return (events / clock.Elapsed.TotalSeconds, (counter.Count - before) / (double)events);
            }
        }

        // The ceiling: the same storage work per event with bare clients (receive 16 at a time, read the row, write
        // the row, delete the message), at most 32 in flight like the listener (batch 16 + refill threshold 16).
        async Task<double> CeilingRoundAsync()
        {
            var bare = Azurite.Queue("bench-ceiling-events");
            await bare.CreateIfNotExistsAsync();
            var table = Azurite.Table("BenchCeilingLevels");
            await table.CreateIfNotExistsAsync();
            await ForEachAsync(Bodies(), 32, b => bare.SendMessageAsync(b));
            var clock = Stopwatch.StartNew();
            using var slots = new SemaphoreSlim(32);
            var processed = 0;
            while (Volatile.Read(ref processed) < events)
            {
                // Like the listener: fetch the next 16 only when at most 16 are still running.
                if (slots.CurrentCount < 16)
                {
                    await Task.Delay(1);
                    continue;
                }

                var batch = (await bare.ReceiveMessagesAsync(16, TimeSpan.FromSeconds(30))).Value;
                if (batch.Length == 0)
                {
                    // A delete that timed out on our side may still have happened: the queue being empty is the end too.
                    if (slots.CurrentCount == 32 && (await bare.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0) break;
                    await Task.Delay(10);
                    continue;
                }

                foreach (var message in batch)
                {
                    await slots.WaitAsync();
                    _ = Task.Run(async () =>
                    {
                        try
                        {
                            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                            var level = (InventoryLevelChanged)message.Body.ToObjectFromJson<StoreEvent>(Json.Options)!;
                            var key = level.VariantId!.Value.ToString(CultureInfo.InvariantCulture);
                            await table.GetEntityIfExistsAsync<TableEntity>(StoreId, key, cancellationToken: timeout.Token);
                            await table.UpsertEntityAsync(new TableEntity(StoreId, key) { ["Available"] = level.Available, ["AsOf"] = level.OccurredAt }, TableUpdateMode.Replace, timeout.Token);
                            await bare.DeleteMessageAsync(message.MessageId, message.PopReceipt, timeout.Token);
                            Interlocked.Increment(ref processed);
                        }
                        catch (Exception ex) when (ex is Azure.RequestFailedException or OperationCanceledException)
                        {
                            // As a queue consumer would: the message comes back after its visibility timeout.
                        }
                        finally
                        {
                            slots.Release();
                        }
                    });
                }
            }

            return events / clock.Elapsed.TotalSeconds;
        }

        // Two alternating rounds each, the better of each reported: the machine is shared, so one noisy moment must not decide.
        var app1 = await AppRoundAsync();
        Console.WriteLine($"  (round 1 app {app1.Rate:F0} events/s)");
        round++;
        var ceiling1 = await CeilingRoundAsync();
        Console.WriteLine($"  (round 1 ceiling {ceiling1:F0} events/s)");
        round++;
        var app2 = await AppRoundAsync();
        Console.WriteLine($"  (round 2 app {app2.Rate:F0} events/s)");
        round++;
        var ceiling2 = await CeilingRoundAsync();
        var app = app1.Rate >= app2.Rate ? app1 : app2;
        var ceiling = Math.Max(ceiling1, ceiling2);
        Console.WriteLine($"inventory events benchmark: {events} InventoryLevelChanged over {variants} variants per round, on Azurite, {Environment.ProcessorCount} cores");
        Console.WriteLine($"  app    : {app.Rate,8:F0} events/s end to end (queue → view → done; rounds {app1.Rate:F0}, {app2.Rate:F0}); storage ops per event {app.OpsPerEvent:F2}");
        Console.WriteLine($"  ceiling: {ceiling,8:F0} events/s (bare clients, same operations, ≤ 32 in flight; rounds {ceiling1:F0}, {ceiling2:F0})");
        Console.WriteLine($"  ratio app/ceiling = {app.Rate / ceiling:F2}");
    }

    private static async Task ForEachAsync<T>(IReadOnlyList<T> items, int concurrency, Func<T, Task> action)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < items.Count) await action(items[i]);
        }));
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, TimeSpan? poll = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(60))) throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(50));
        }
    }
}
