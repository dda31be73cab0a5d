using System.Collections.Concurrent;
using Automation.Hosting;
using Automation.Storage;
using Automation.Tests.Infrastructure;

namespace Automation.Tests.Hosting;

[NonParallelizable]
public sealed class TimerTriggerTests
{
    private sealed class Runs
    {
        public ConcurrentQueue<(string Instance, DateTimeOffset At, bool PastDue)> All { get; } = new();
    }

    private sealed record InstanceName(string Value);

    private sealed class EverySecond(Runs runs, InstanceName instance, TimeProvider time) : ITimerFunction
    {
        public Task RunAsync(TimerInfo timer, CancellationToken cancellationToken)
        {
            runs.All.Enqueue((instance.Value, time.GetUtcNow(), timer.IsPastDue));
            return Task.CompletedTask;
        }
    }

    private sealed class Nightly(Runs runs, InstanceName instance, TimeProvider time) : ITimerFunction
    {
        public Task RunAsync(TimerInfo timer, CancellationToken cancellationToken)
        {
            runs.All.Enqueue((instance.Value, time.GetUtcNow(), timer.IsPastDue));
            return Task.CompletedTask;
        }
    }

    private static Task<TestApp> StartInstance<TFunction>(Runs runs, string name, string schedule, bool keepStorage) where TFunction : class, ITimerFunction =>
        TestApp.StartAsync(s =>
        {
            s["AzureFunctionsJobHost:singleton:listenerLockPeriod"] = "00:00:15";
            s["AzureFunctionsJobHost:singleton:listenerLockRecoveryPollingInterval"] = "00:00:00.500";
        }, services =>
        {
            services.AddSingleton(runs);
            services.AddSingleton(new InstanceName(name));
            services.AddTimerFunction<TFunction>(new ConfigurationBuilder().Build(), schedule);
        }, keepStorage);

    [Test]
    public async Task TwoInstancesOnOneStorage_RunTheScheduleOnOneOnly_AndTheOtherTakesOverWhenItStops()
    {
        var runs = new Runs();
        var first = await StartInstance<EverySecond>(runs, "A", "* * * * * *", keepStorage: false);
        await using var second = await StartInstance<EverySecond>(runs, "B", "* * * * * *", keepStorage: true);

        await Eventually.Until(() => runs.All.Count >= 4, TimeSpan.FromSeconds(20), "four runs");
        var leader = runs.All.First().Instance;
        Assert.That(runs.All.Select(r => r.Instance).Distinct(), Is.EqualTo(new[] { leader }), "only the lease holder runs the schedule");
        var times = runs.All.Select(r => r.At).ToList();
        Assert.That(times.Zip(times.Skip(1), (a, b) => b - a), Is.All.GreaterThan(TimeSpan.FromMilliseconds(500)), "runs never overlap or double up");

        // Stop the leader: its lease is released and the other instance takes over.
        var follower = leader == "A" ? "B" : "A";
        if (leader == "A") await first.DisposeAsync();
        else await second.DisposeAsync();
        await Eventually.Until(() => runs.All.Any(r => r.Instance == follower), TimeSpan.FromSeconds(20), $"instance {follower} to take over");
        if (leader != "A") await first.DisposeAsync();
    }

    [Test]
    public async Task MissedRun_FiresOncePastDueOnStart_AndSchedulesTheNext()
    {
        await Azurite.ResetAsync();
        var container = Azurite.Container(BlobContainers.WebJobsHosts);
        await container.CreateIfNotExistsAsync();
        var dueYesterday = DateTimeOffset.UtcNow.AddDays(-1);
        var status = new ScheduleStatus(dueYesterday.AddDays(-1), dueYesterday, dueYesterday.AddDays(-1));
        // The schedule "0 0 3 * * *" is daily at 03:00; Last is two days ago so Next (yesterday) is consistent with it.
        var last = new DateTimeOffset(dueYesterday.UtcDateTime.Date.AddDays(-1).AddHours(3), TimeSpan.Zero);
        status = new ScheduleStatus(last, last.AddDays(1), last);
        await container.GetBlobClient($"timers/tests/{nameof(Nightly)}/status").UploadAsync(BinaryData.FromObjectAsJson(status, Json.Options), overwrite: true);

        var runs = new Runs();
        await using var app = await StartInstance<Nightly>(runs, "A", "0 0 3 * * *", keepStorage: true);

        await Eventually.Until(() => runs.All.Count == 1, TimeSpan.FromSeconds(20), "the past-due run");
        Assert.That(runs.All.Single().PastDue, Is.True);

        ScheduleStatus? updated = null;
        await Eventually.Until(async () =>
        {
            updated = (await container.GetBlobClient($"timers/tests/{nameof(Nightly)}/status").DownloadContentAsync()).Value.Content.ToObjectFromJson<ScheduleStatus>(Json.Options);
            return updated!.Next > DateTimeOffset.UtcNow;
        }, TimeSpan.FromSeconds(10), "the next occurrence to be persisted");
        Assert.That(updated!.Next.UtcDateTime.Hour, Is.EqualTo(3));
        Assert.That(runs.All, Has.Count.EqualTo(1), "missed occurrences are not replayed one by one");
    }

    [Test]
    public async Task FirstStart_RecordsTheNextRunWithoutRunning()
    {
        var runs = new Runs();
        await using var app = await StartInstance<Nightly>(runs, "A", "0 0 3 * * *", keepStorage: false);
        var blob = Azurite.Container(BlobContainers.WebJobsHosts).GetBlobClient($"timers/tests/{nameof(Nightly)}/status");
        await Eventually.Until(async () => (await blob.ExistsAsync()).Value, TimeSpan.FromSeconds(10), "the schedule status");
        var status = (await blob.DownloadContentAsync()).Value.Content.ToObjectFromJson<ScheduleStatus>(Json.Options)!;
        Assert.That(status.Next, Is.GreaterThan(DateTimeOffset.UtcNow));
        Assert.That(runs.All, Is.Empty);
    }
}
