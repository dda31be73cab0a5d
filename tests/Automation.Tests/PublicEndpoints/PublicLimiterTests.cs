using Automation.PublicEndpoints;
using Automation.Storage;
using Automation.Tests.Infrastructure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Automation.Tests.PublicEndpoints;

/// <summary>The limiter against real Azurite, with the clock in the test's hands; two limiters are two instances.</summary>
[NonParallelizable]
public sealed class PublicLimiterTests
{
    private FakeTimeProvider _time = null!;
    private StorageClients _storage = null!;

    [SetUp]
    public async Task SetUp()
    {
        await Azurite.ResetAsync();
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 20, 10, 15, 0, TimeSpan.Zero));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AzureWebJobsStorage"] = Azurite.ConnectionString }).Build();
        _storage = new StorageClients(configuration, Options.Create(new StorageClientsOptions()), new StorageOperationCounter());
    }

    private PublicLimiter Instance() => new(_storage, _time, NullLogger<PublicLimiter>.Instance);

    private static Limit Client(int perHour) => new("test-client", "198.51.100.1", perHour);

    [Test]
    public async Task OverTheLimit_RefusedUntilTheNextHour()
    {
        var limiter = Instance();
        Assert.That((await limiter.AcquireAsync("s1", [Client(2)], default)).Allowed, Is.True);
        Assert.That((await limiter.AcquireAsync("s1", [Client(2)], default)).Allowed, Is.True);

        var refused = await limiter.AcquireAsync("s1", [Client(2)], default);
        Assert.That((refused.Allowed, refused.RetryAfter), Is.EqualTo((false, TimeSpan.FromMinutes(45))));

        _time.Advance(TimeSpan.FromMinutes(45));
        Assert.That((await limiter.AcquireAsync("s1", [Client(2)], default)).Allowed, Is.True);
    }

    [Test]
    public async Task OneLimitUsedUp_NoneOfTheOthersIsCounted()
    {
        var limiter = Instance();
        var order = new Limit("test-order", "1042", 1);
        await limiter.AcquireAsync("s1", [order], default);

        Assert.That((await limiter.AcquireAsync("s1", [Client(5), order], default)).Allowed, Is.False);
        var rows = await Azurite.Table(PublicLimiter.Table).QueryAsync<TableEntity>().ToListAsync();
        Assert.That(rows.Select(r => (r.RowKey, r.GetInt32("Count"))), Is.EquivalentTo(new[] { ("test-order|1042", (int?)1) }));
    }

    [Test]
    public async Task ConcurrentRequestsOnTwoInstances_NeverCountPastTheLimit()
    {
        PublicLimiter[] instances = [Instance(), Instance()];

        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => instances[i % 2].AcquireAsync("s1", [Client(100), new Limit("test-order", "1042", 10)], default)));

        Assert.That(answers.Count(a => a.Allowed), Is.EqualTo(10));
        var order = await Azurite.Table(PublicLimiter.Table).QueryAsync<TableEntity>(r => r.RowKey == "test-order|1042").SingleAsync();
        Assert.That(order.GetInt32("Count"), Is.EqualTo(10));
    }

    [Test]
    public async Task Purge_DeletesEndedWindowsOnly()
    {
        var limiter = Instance();
        await limiter.AcquireAsync("s1", [Client(5)], default);
        _time.Advance(TimeSpan.FromHours(2));
        await limiter.AcquireAsync("s1", [Client(5)], default);

        var deleted = await new PurgePublicLimits(_storage, _time, NullLogger<PurgePublicLimits>.Instance).PurgeAsync(default);

        Assert.That(deleted, Is.EqualTo(1));
        var left = await Azurite.Table(PublicLimiter.Table).QueryAsync<TableEntity>().ToListAsync();
        Assert.That(left.Select(r => r.PartitionKey), Is.EqualTo(new[] { PublicLimiter.Partition(PublicLimiter.WindowStart(_time.GetUtcNow()), "s1") }));
    }
}
