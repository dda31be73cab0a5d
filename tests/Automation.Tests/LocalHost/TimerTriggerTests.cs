using System.Collections.Concurrent;
using Automation.LocalHost.Timers;
using Automation.Tests.Infrastructure;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Tests.LocalHost;

[NonParallelizable]
public sealed class TimerTriggerTests
{
    private const string Hosts = "azure-webjobs-hosts";

    public sealed class Runs
    {
        public ConcurrentQueue<(string Instance, DateTimeOffset At, bool PastDue)> All { get; } = new();
    }

    public sealed record InstanceName(string Value);

    public sealed class EverySecond(Runs runs, InstanceName instance, TimeProvider time)
    {
        [Function("TestEverySecond")]
        public void Run([TimerTrigger("* * * * * *")] TimerInfo timer) => runs.All.Enqueue((instance.Value, time.GetUtcNow(), timer.IsPastDue));
    }

    public sealed class Nightly(Runs runs, InstanceName instance, TimeProvider time)
    {
        [Function("TestNightly")]
        public Task Run([TimerTrigger("0 0 3 * * *")] TimerInfo timer)
        {
            runs.All.Enqueue((instance.Value, time.GetUtcNow(), timer.IsPastDue));
            return Task.CompletedTask;
        }
    }

    private static Task<TestApp> StartInstance<TFunction>(Runs runs, string name, bool keepStorage) =>
        TestApp.StartAsync(s =>
        {
            s["AzureFunctionsJobHost:singleton:listenerLockPeriod"] = "00:00:15";
            s["AzureFunctionsJobHost:singleton:listenerLockRecoveryPollingInterval"] = "00:00:00.500";
        }, services =>
        {
            services.AddSingleton(runs);
            services.AddSingleton(new InstanceName(name));
        }, keepStorage, functions: [typeof(TFunction)]);

    private static BinaryData StatusJson(TimerScheduleStatus status) => BinaryData.FromObjectAsJson(status);

    private static TimerScheduleStatus ReadStatus(BinaryData data) =>
        data.ToObjectFromJson<TimerScheduleStatus>(new System.Text.Json.JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;

    [Test]
    public async Task TwoInstancesOnOneStorage_RunTheScheduleOnOneOnly_AndTheOtherTakesOverWhenItStops()
    {
        var runs = new Runs();
        var first = await StartInstance<EverySecond>(runs, "A", keepStorage: false);
        await using var second = await StartInstance<EverySecond>(runs, "B", keepStorage: true);

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
        var container = Azurite.Container(Hosts);
        await container.CreateIfNotExistsAsync();
        var dueYesterday = DateTimeOffset.UtcNow.AddDays(-1);
        var status = new TimerScheduleStatus(dueYesterday.AddDays(-1), dueYesterday, dueYesterday.AddDays(-1));
        // The schedule "0 0 3 * * *" is daily at 03:00; Last is two days ago so Next (yesterday) is consistent with it.
        var last = new DateTimeOffset(dueYesterday.UtcDateTime.Date.AddDays(-1).AddHours(3), TimeSpan.Zero);
        status = new TimerScheduleStatus(last, last.AddDays(1), last);
        await container.GetBlobClient("timers/tests/TestNightly/status").UploadAsync(StatusJson(status), overwrite: true);

        var runs = new Runs();
        await using var app = await StartInstance<Nightly>(runs, "A", keepStorage: true);

        await Eventually.Until(() => runs.All.Count == 1, TimeSpan.FromSeconds(20), "the past-due run");
        Assert.That(runs.All.Single().PastDue, Is.True);

        TimerScheduleStatus? updated = null;
        await Eventually.Until(async () =>
        {
            updated = ReadStatus((await container.GetBlobClient("timers/tests/TestNightly/status").DownloadContentAsync()).Value.Content);
            return updated!.Next > DateTimeOffset.UtcNow;
        }, TimeSpan.FromSeconds(10), "the next occurrence to be persisted");
        Assert.That(updated!.Next.UtcDateTime.Hour, Is.EqualTo(3));
        Assert.That(runs.All, Has.Count.EqualTo(1), "missed occurrences are not replayed one by one");
    }

    [Test]
    public async Task FirstStart_RecordsTheNextRunWithoutRunning()
    {
        var runs = new Runs();
        await using var app = await StartInstance<Nightly>(runs, "A", keepStorage: false);
        var blob = Azurite.Container(Hosts).GetBlobClient("timers/tests/TestNightly/status");
        await Eventually.Until(async () => (await blob.ExistsAsync()).Value, TimeSpan.FromSeconds(10), "the schedule status");
        var status = ReadStatus((await blob.DownloadContentAsync()).Value.Content);
        Assert.That(status.Next, Is.GreaterThan(DateTimeOffset.UtcNow));
        Assert.That(runs.All, Is.Empty);
    }
}
