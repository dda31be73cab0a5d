using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Automation.AbandonedCart;
using Automation.Events;
using Automation.Tests.Infrastructure;
using Azure.Data.Tables;

namespace Automation.Bench;

/// <summary>
/// A set of host.json settings to run the abandoned-checkout flows with: an edit of the repository's host.json
/// (<see cref="HostJson"/>), plus app settings over it (<see cref="Settings"/>, as <c>AzureFunctionsJobHost:…</c> keys).
/// </summary>
public sealed record HostProfile(string Name, Action<JsonObject>? HostJson, IReadOnlyDictionary<string, string?> Settings)
{
    private const string DurableSection = "AzureFunctionsJobHost:extensions:durableTask";

    /// <summary>The settings we ship: the repository's host.json as it is.</summary>
    public static HostProfile Shipped { get; } = new("shipped", null, new Dictionary<string, string?>());

    /// <summary>
    /// Durable Functions' own defaults (Microsoft.Azure.WebJobs.Extensions.DurableTask 3.x on a non-Consumption plan, read
    /// from its <c>AzureStorageOptions</c>, <c>DurableTaskOptions</c> and <c>AzureStorageDurabilityProviderFactory</c>)
    /// and the Storage Queues extension's polling default, written out: the app also reads the host.json copied beside
    /// its assembly under every other source, so a setting left out would fall back to the shipped value, not the default.
    /// Only the hub keeps its name.
    /// </summary>
    public static HostProfile Default { get; } = new("default", json =>
    {
        var extensions = json["extensions"]!.AsObject();
        var hubName = extensions["durableTask"]?["hubName"]?.GetValue<string>() ?? "Automation";
        extensions["durableTask"] = new JsonObject
        {
            ["hubName"] = hubName,
            ["storageProvider"] = new JsonObject
            {
                ["partitionCount"] = 4,
                ["controlQueueBatchSize"] = 32,
                ["controlQueueBufferThreshold"] = 256,
                ["controlQueueVisibilityTimeout"] = "00:05:00",
                ["workItemQueueVisibilityTimeout"] = "00:05:00",
                ["maxQueuePollingInterval"] = "00:00:30",
                // The extension's default since 3.0; the local host's own default is still the blob-lease manager.
                ["useTablePartitionManagement"] = true,
                ["useLegacyPartitionManagement"] = false,
            },
            ["extendedSessionsEnabled"] = false,
            ["extendedSessionIdleTimeoutInSeconds"] = 30,
            ["maxConcurrentActivityFunctions"] = 10 * Environment.ProcessorCount,
            ["maxConcurrentOrchestratorFunctions"] = 10 * Environment.ProcessorCount,
            ["useAppLease"] = true,
        };
        extensions["queues"]!["maxPollingInterval"] = "00:01:00";
    }, new Dictionary<string, string?>());

    /// <summary>The shipped settings with some changed (for choosing them): keys under <c>extensions:durableTask</c> or <c>extensions:queues</c>.</summary>
    public static HostProfile ShippedWith(string name, params (string Key, string Value)[] overrides) =>
        new(name, null, overrides.ToDictionary(o => "AzureFunctionsJobHost:extensions:" + o.Key, o => (string?)o.Value));

    public string HubName(JsonObject hostJson) => hostJson["extensions"]?["durableTask"]?["hubName"]?.GetValue<string>()
        ?? Settings.GetValueOrDefault(DurableSection + ":hubName") ?? "TestHubName";

    /// <summary>The host.json this profile runs with, as the app will read it.</summary>
    public JsonObject EffectiveHostJson()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(LocalServices.RepositoryRoot, "host.json")))!.AsObject();
        HostJson?.Invoke(json);
        return json;
    }
}

/// <summary>
/// What the abandoned-checkout benchmarks share: one Shopify store at a platform fake that creates coupons (refusing a
/// code it already has, as Shopify does) and says the items are in stock; the app's settings for it with the waits
/// shortened; checkout events; and the bench's own storage reads (not counted as the app's transactions).
/// </summary>
public sealed class RecoveryBenchKit : IAsyncDisposable
{
    public const string Store = "bench";
    private static readonly string[] CodeField = ["basicCodeDiscount", "code"];
    private readonly ConcurrentDictionary<string, int> _couponRequests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _couponsCreated = new(StringComparer.Ordinal);

    private RecoveryBenchKit(FakePlatform platform) => Platform = platform;

    public FakePlatform Platform { get; }

    /// <summary>Coupon codes created at the platform (each at most once: a second create of a code is refused as taken).</summary>
    public IReadOnlyDictionary<string, string> CouponsCreated => _couponsCreated;

    /// <summary>Create requests per code (more than one: a retry, answered "taken").</summary>
    public IReadOnlyDictionary<string, int> CouponRequests => _couponRequests;

    public static async Task<RecoveryBenchKit> StartAsync()
    {
        var kit = new RecoveryBenchKit(await FakePlatform.StartAsync());
        kit.Platform.OnGraphQLData("CheckoutStock", v => new
        {
            nodes = v.GetProperty("ids").EnumerateArray().Select(id => new { id = id.GetString(), availableForSale = true }).ToArray(),
        });
        kit.Platform.OnGraphQLData("discountCodeBasicCreate", v =>
        {
            var discount = v.GetProperty("basicCodeDiscount");
            var code = discount.GetProperty("code").GetString()!;
            kit._couponRequests.AddOrUpdate(code, 1, (_, n) => n + 1);
            var customer = discount.TryGetProperty("context", out var context) && context.TryGetProperty("customers", out var customers)
                ? customers.GetProperty("add")[0].GetString() ?? "" : "";
            return kit._couponsCreated.TryAdd(code, customer)
                ? new { discountCodeBasicCreate = new { codeDiscountNode = (object?)new { id = $"gid://shopify/DiscountCodeNode/{code}" }, userErrors = Array.Empty<object>() } }
                : new { discountCodeBasicCreate = new { codeDiscountNode = (object?)null, userErrors = new object[] { new { field = CodeField, code = "TAKEN", message = "Code must be unique. Please try a different code." } } } };
        });
        return kit;
    }

    public void ResetPlatform()
    {
        _couponRequests.Clear();
        _couponsCreated.Clear();
    }

    /// <summary>The app's settings (configuration keys) for the bench store, with both waits set to <paramref name="wait"/>.</summary>
    public Dictionary<string, string?> AppSettings(TimeSpan wait) => new()
    {
        [$"Stores:{Store}:Platform"] = "Shopify",
        [$"Stores:{Store}:ShopDomain"] = "bench-store.myshopify.com",
        [$"Stores:{Store}:WebhookSecret"] = TestSecrets.For("bench-webhook"),
        [$"Stores:{Store}:AdminApiBaseUrl"] = Platform.ShopifyAdminApiBaseUrl,
        [$"Stores:{Store}:AccessToken"] = "shpat_bench",
        [$"Stores:{Store}:Currency"] = "EUR",
        ["AbandonedCart:ReminderDelay"] = wait.ToString("c", CultureInfo.InvariantCulture),
        ["AbandonedCart:CouponDelay"] = wait.ToString("c", CultureInfo.InvariantCulture),
        ["AbandonedCart:QuietHoursStart"] = "00:00:00",
        ["AbandonedCart:QuietHoursEnd"] = "00:00:00",
        ["Email:SmtpHost"] = "127.0.0.1",
        ["Email:SmtpPort"] = MailSink.SmtpPort.ToString(CultureInfo.InvariantCulture),
        ["Email:Security"] = "None",
        ["Email:FromAddress"] = "shop@bench.test",
        ["Admin:ApiKey"] = TestSecrets.For("bench-admin"),
        ["Signing:Secret"] = TestSecrets.For("signing"),
        ["AzureWebJobs.PurgeExpiredData.Disabled"] = "true",
        ["AzureWebJobs.PurgeEndedFlows.Disabled"] = "true",
    };

    public static CheckoutStarted Checkout(string prefix, int i) => new()
    {
        Id = $"checkout:{prefix}-{i}",
        StoreId = Store,
        OccurredAt = DateTimeOffset.UtcNow,
        CheckoutId = $"{prefix}-{i}",
        CustomerId = 100_000 + i,
        Email = Email(prefix, i),
        FirstName = "Bench",
        AcceptsMarketing = true,
        RecoveryUrl = $"https://bench-store.myshopify.com/checkouts/{prefix}-{i}/recover",
        Currency = "EUR",
        TotalPrice = 42m,
        LineItems = [new LineItem(1, 11, "SKU-1", "Bench mug", 2, 21m)],
    };

    public static string Email(string prefix, int i) => $"{prefix}-{i}@bench.test";

    /// <summary>Puts the checkout events on the abandoned-cart queue, 32 at a time, as the webhook translation does.</summary>
    public static async Task PublishAsync(EventPublisher publisher, string prefix, int count)
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

    /// <summary>Outcome rows of the bench store (one per ended flow; not the retention index rows beside them), by state.</summary>
    public static async Task<IReadOnlyList<(string FlowId, string CustomerKey, string State)>> OutcomesAsync()
    {
        var table = Azurite.Table(RecoveryOutcomes.TableName);
        var rows = new List<(string, string, string)>();
        try
        {
            await foreach (var row in table.QueryAsync<TableEntity>(Automation.Retention.DayIndex.DataRows(Store), select: ["RowKey", "FlowId", "CustomerKey", "State"]))
            {
                rows.Add((row.GetString("FlowId") ?? row.RowKey, row.GetString("CustomerKey") ?? "", row.GetString("State") ?? ""));
            }
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
        }

        return rows;
    }

    public static async Task<int> CompletedAsync() => (await OutcomesAsync()).Count(o => o.State == "Completed");

    /// <summary>Orchestration instances not yet completed (pending, running, failed…), read from the hub's Instances table.</summary>
    public static async Task<int> UnfinishedInstancesAsync(string hubName)
    {
        var table = Azurite.Table(hubName + "Instances");
        var count = 0;
        try
        {
            await foreach (var _ in table.QueryAsync<TableEntity>("RuntimeStatus ne 'Completed'", select: ["PartitionKey"]))
            {
                count++;
            }
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
        }

        return count;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, checking every <paramref name="every"/>; throws after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, TimeSpan? every = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"Not within {timeout}: {what}.");
            await Task.Delay(every ?? TimeSpan.FromMilliseconds(500));
        }
    }

    /// <summary>The 1-minute load average (the machine is shared: every figure is printed with it).</summary>
    public static double LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    public async ValueTask DisposeAsync() => await Platform.DisposeAsync();
}
