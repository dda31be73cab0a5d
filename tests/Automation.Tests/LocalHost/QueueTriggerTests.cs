using System.Collections.Concurrent;
using Automation.Tests.Infrastructure;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Tests.LocalHost;

/// <summary>Queue-trigger semantics of the local host against real Azurite, with probe functions declared as the app declares its own.</summary>
[NonParallelizable]
public sealed class QueueTriggerTests
{
    private const string Queue = "test-work";

    /// <summary>What the probe functions saw, shared with the test (the function classes are activated per invocation).</summary>
    public sealed class Probe
    {
        public ConcurrentQueue<(string Body, long DequeueCount)> Invocations { get; } = new();
        public TimeSpan WorkDuration { get; set; }
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public sealed class AlwaysFails(Probe probe)
    {
        [Function("TestAlwaysFails")]
        public Task Run([QueueTrigger(Queue)] QueueMessage message)
        {
            probe.Invocations.Enqueue((message.Body.ToString(), message.DequeueCount));
            throw new InvalidOperationException("the supplier API is down");
        }
    }

    public sealed class SlowWork(Probe probe, TimeProvider time)
    {
        [Function("TestSlowWork")]
        public async Task Run([QueueTrigger(Queue)] string body, FunctionContext context, CancellationToken cancellationToken)
        {
            probe.Invocations.Enqueue((body, long.Parse(context.BindingContext.BindingData["DequeueCount"]!.ToString()!, System.Globalization.CultureInfo.InvariantCulture)));
            probe.Started.TrySetResult();
            // The workload itself takes this long (not a synchronisation sleep).
            await Task.Delay(probe.WorkDuration, time, cancellationToken);
        }
    }

    private static Task<TestApp> StartWith<TFunction>(Probe probe, Action<Dictionary<string, string?>>? settings = null, bool keepStorage = false) =>
        TestApp.StartAsync(s =>
        {
            s["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "3";
            settings?.Invoke(s);
        }, services => services.AddSingleton(probe), keepStorage, functions: [typeof(TFunction)]);

    private static async Task SendAsync(string body) => await (await CreatedQueue()).SendMessageAsync(body);

    private static async Task<Azure.Storage.Queues.QueueClient> CreatedQueue()
    {
        var queue = Azurite.Queue(Queue);
        await queue.CreateIfNotExistsAsync();
        return queue;
    }

    [Test]
    public async Task MessageThatKeepsFailing_LandsInPoisonWithItsErrorAfterMaxDequeueCount()
    {
        var probe = new Probe();
        await using var app = await StartWith<AlwaysFails>(probe);
        await SendAsync("reorder SKU-1");

        await Eventually.Until(async () => (await TestApp.PeekPoisonAsync(Queue)).Count == 1, TimeSpan.FromSeconds(20), "the message in test-work-poison");
        var poison = (await TestApp.PeekPoisonAsync(Queue)).Single();
        Assert.Multiple(() =>
        {
            Assert.That(poison.Body, Is.EqualTo("reorder SKU-1"));
            Assert.That(poison.Error, Does.Contain("the supplier API is down"));
            Assert.That(poison.DequeueCount, Is.EqualTo(3));
            Assert.That(probe.Invocations.Select(i => i.DequeueCount), Is.EqualTo(new long[] { 1, 2, 3 }), "tried maxDequeueCount times, then never again");
        });
        Assert.That(await TestApp.CountMessagesAsync(Queue), Is.Zero);
    }

    [Test]
    public async Task PoisonReplay_PutsTheOriginalBodyBack()
    {
        var probe = new Probe();
        await using var app = await StartWith<AlwaysFails>(probe);
        await SendAsync("reorder SKU-2");
        await Eventually.Until(async () => (await TestApp.PeekPoisonAsync(Queue)).Count == 1, TimeSpan.FromSeconds(20), "poison");

        var response = await app.Admin.PostAsync($"api/admin/poison/{Queue}/replay", null);
        Assert.That(response.IsSuccessStatusCode, Is.True);
        await Eventually.Until(() => probe.Invocations.Count(i => i.Body == "reorder SKU-2") >= 4, TimeSpan.FromSeconds(20), "the replayed message to run again");
    }

    [Test]
    public async Task InvocationLongerThanTheLease_IsNotHandedToAnotherConsumer()
    {
        // Lease of 6 s, renewed at half-time; the work takes 10 s. Without renewal the message would reappear and run twice.
        var probe = new Probe { WorkDuration = TimeSpan.FromSeconds(10) };
        await using var app = await StartWith<SlowWork>(probe, s => s["LocalHost:MessageLease"] = "00:00:06");
        await SendAsync("long job");

        await Eventually.Until(async () => probe.Invocations.Count == 1 && await TestApp.CountMessagesAsync(Queue) == 0, TimeSpan.FromSeconds(20), "the job to finish and its message to be deleted");
        Assert.That(probe.Invocations, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task ShutdownDuringALongInvocation_ReleasesTheMessageAndNothingIsLost()
    {
        var probe = new Probe { WorkDuration = TimeSpan.FromMinutes(5) };
        var app = await StartWith<SlowWork>(probe, s => s["LocalHost:DrainTimeout"] = "00:00:00.500");
        await SendAsync("interrupted job");
        await probe.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));

        await app.DisposeAsync();

        // The released message is visible again at once, and a new instance finishes it.
        var second = new Probe { WorkDuration = TimeSpan.Zero };
        await using var restarted = await StartWith<SlowWork>(second, keepStorage: true);
        await Eventually.Until(async () => second.Invocations.Count == 1 && await TestApp.CountMessagesAsync(Queue) == 0, TimeSpan.FromSeconds(20), "the message to be finished after restart");
        Assert.That(second.Invocations.Single().Body, Is.EqualTo("interrupted job"));
    }

    [Test]
    public async Task ShutdownWhileAnInvocationCanFinish_FinishesItAndDeletesTheMessage()
    {
        var probe = new Probe { WorkDuration = TimeSpan.FromSeconds(1) };
        var app = await StartWith<SlowWork>(probe, s => s["LocalHost:DrainTimeout"] = "00:00:04");
        await SendAsync("short job");
        await probe.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));

        await app.DisposeAsync();

        Assert.That(await TestApp.CountMessagesAsync(Queue), Is.Zero, "finished during the drain, so deleted, not redelivered");
    }

    [Test]
    public async Task BusyQueue_IsDrainedConcurrentlyInBatches()
    {
        var probe = new Probe { WorkDuration = TimeSpan.FromMilliseconds(200) };
        await using var app = await StartWith<SlowWork>(probe);
        var queue = await CreatedQueue();
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => queue.SendMessageAsync($"job {i}")));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.Until(async () => probe.Invocations.Count == 40 && await TestApp.CountMessagesAsync(Queue) == 0, TimeSpan.FromSeconds(30), "all 40 jobs");
        // 40 × 200 ms one at a time would take 8 s; batches of 16 run side by side.
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(6)));
        Assert.That(probe.Invocations.Select(i => i.Body).Distinct().Count(), Is.EqualTo(40));
    }
}
