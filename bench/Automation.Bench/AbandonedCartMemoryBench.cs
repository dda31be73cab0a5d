using System.Diagnostics;
using System.Globalization;
using System.Text;
using Automation.AbandonedCart;
using Automation.LocalHost.Durable;
using Automation.Tests.Infrastructure;
using Azure.Data.Tables;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Automation.Bench;

/// <summary>
/// The app's memory as orchestrations waiting on durable timers grow, with the settings we ship: recovery flows
/// whose reminder is a day away are started through the app's <see cref="DurableTaskClient"/> (the one its
/// <c>[DurableClient]</c> parameters get), 64 at a time, for at most the given minutes, in three equal tranches; after
/// each, once every started orchestration has run its first episode and is waiting on its timer, the managed heap
/// (after a full GC) and the working set are taken twice: at once (extended sessions of the last tranche may still be
/// held) and again after the sessions' idle timeout has passed. The slope per 10,000 waiting is fitted over the points.
/// <c>abandoned-cart-memory [waiting=100000] [minutes=10]</c>
/// </summary>
public static class AbandonedCartMemoryBench
{
    private const int StartConcurrency = 64;
    private const int WarmUp = 200;

    public static async Task RunAsync(string[] args)
    {
        var target = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var budget = TimeSpan.FromMinutes(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 10);
        await Azurite.StartAsync();
        try
        {
            await using var kit = await RecoveryBenchKit.StartAsync();
            var hostJson = HostProfile.Shipped.EffectiveHostJson();
            var hub = HostProfile.Shipped.HubName(hostJson);
            await Azurite.ResetAsync();
            // The flows wait a day for their reminder: nothing is sent while memory is measured.
            var settings = kit.AppSettings(TimeSpan.FromDays(1));
            // No mail sink runs here (nothing is sent within a day); the port only has to pass validation.
            settings["Email:SmtpPort"] = "2525";
            settings["LocalHost:DrainTimeout"] = "00:00:30";
            var (app, _) = await BenchApp.StartAsync(settings);
            try
            {
                Console.WriteLine(await MeasureAsync(app, hub, target, budget));
            }
            finally
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
        finally
        {
            Azurite.Stop();
        }
    }

    private sealed record Point(int Waiting, double HeapAtOnce, double WorkingSetAtOnce, double Heap, double WorkingSet, double Load, TimeSpan StartedIn, TimeSpan WaitingIn);

    private static async Task<string> MeasureAsync(WebApplication app, string hub, int target, TimeSpan budget)
    {
        var client = app.Services.GetRequiredService<DurableTaskClient>();
        var engine = app.Services.GetRequiredService<DurableEngine>().Settings;
        var options = app.Services.GetRequiredService<AbandonedCartSettings>().For(RecoveryBenchKit.Store);
        var recovery = RecoverySettings.From(options, TimeZoneInfo.Utc);
        var idleOut = engine.ExtendedSessionsEnabled ? engine.ExtendedSessionIdleTimeout + TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(10);
        var points = new List<Point>();
        var started = 0;

        // Warm-up (JIT, the hub's tables and queues): the first point is taken with these waiting.
        points.Add(await TrancheAsync(client, hub, recovery, WarmUp, TimeSpan.FromMinutes(5), idleOut, () => started, n => started += n));

        var clock = Stopwatch.StartNew();
        var tranche = (target - WarmUp) / 3;
        var trancheBudget = budget / 3;
        for (var i = 0; i < 3; i++)
        {
            points.Add(await TrancheAsync(client, hub, recovery, tranche, trancheBudget, idleOut, () => started, n => started += n));
            // If Azurite could not take a third of the target in a third of the time, the tranches keep the first one's size.
            if (i == 0) tranche = points[^1].Waiting - points[^2].Waiting;
        }

        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"abandoned-cart memory: recovery orchestrations waiting on a 1-day timer, started through the app's DurableTaskClient ({StartConcurrency} at a time), shipped settings");
        text.AppendLine(c, $"  ({(engine.ExtendedSessionsEnabled ? $"extended sessions on, idle timeout {engine.ExtendedSessionIdleTimeout.TotalSeconds:F0} s" : "extended sessions off")}, {engine.PartitionCount} partition(s); target {target:N0} in {budget.TotalMinutes:F0} min; {Environment.ProcessorCount} cores; reached {started:N0} in {clock.Elapsed.TotalMinutes:F1} min)");
        text.AppendLine(c, $"  {"waiting",10} {"heap MiB",10} {"WS MiB",10}   {"heap MiB",10} {"WS MiB",10}   {"started in",11} {"all waiting",12} {"load",6}");
        text.AppendLine(c, $"  {"",10} {"at once",10} {"at once",10}   {$"+{idleOut.TotalSeconds:F0} s",10} {$"+{idleOut.TotalSeconds:F0} s",10}");
        foreach (var p in points)
        {
            text.AppendLine(c, $"  {p.Waiting,10:N0} {p.HeapAtOnce,10:F1} {p.WorkingSetAtOnce,10:F1}   {p.Heap,10:F1} {p.WorkingSet,10:F1}   {p.StartedIn.TotalSeconds,10:F0}s {p.WaitingIn.TotalSeconds,11:F0}s {p.Load,6:F1}");
        }

        var perTenThousand = 10_000.0;
        text.AppendLine(c, $"  slope per 10,000 waiting (least squares over the points): heap {Slope(points, p => p.Heap) * perTenThousand:F2} MiB, working set {Slope(points, p => p.WorkingSet) * perTenThousand:F2} MiB" +
            $" (sessions idled out); at once: heap {Slope(points, p => p.HeapAtOnce) * perTenThousand:F2} MiB, working set {Slope(points, p => p.WorkingSetAtOnce) * perTenThousand:F2} MiB");
        var heapRise = points[^1].Heap - points[0].Heap;
        text.AppendLine(c, $"  heap from {points[0].Waiting:N0} to {points[^1].Waiting:N0} waiting: {heapRise:+0.0;-0.0} MiB ({heapRise / points[0].Heap:P0}); flat means the waiting state lives in storage, not in the process");
        return text.ToString();
    }

    private static async Task<Point> TrancheAsync(DurableTaskClient client, string hub, RecoverySettings recovery, int count, TimeSpan budget, TimeSpan idleOut, Func<int> started, Action<int> add)
    {
        var clock = Stopwatch.StartNew();
        var from = started();
        var next = -1;
        var done = 0;
        await Task.WhenAll(Enumerable.Range(0, StartConcurrency).Select(async _ =>
        {
            int i;
            while (clock.Elapsed < budget && (i = Interlocked.Increment(ref next)) < count)
            {
                var state = State(recovery, from + i);
                await client.ScheduleNewOrchestrationInstanceAsync(CheckoutRecoveryOrchestrator.Name, state, new StartOrchestrationOptions(RecoveryIds.InstanceId(state.StoreId, state.CustomerKey)));
                Interlocked.Increment(ref done);
            }
        }));
        add(done);
        var startedIn = clock.Elapsed;

        // Every started orchestration has run its first episode (it is Running, waiting on its timer).
        await RecoveryBenchKit.UntilAsync(async () => await PendingAsync(hub) == 0, TimeSpan.FromMinutes(30), "started orchestrations waiting on their timers", TimeSpan.FromSeconds(5));
        var waitingIn = clock.Elapsed;
        var heapAtOnce = BenchApp.ManagedHeapMiB();
        var workingSetAtOnce = BenchApp.WorkingSetMiB();
        await Task.Delay(idleOut);
        var load = RecoveryBenchKit.LoadAverage();
        var heap = BenchApp.ManagedHeapMiB();
        var workingSet = BenchApp.WorkingSetMiB();
        var point = new Point(started(), heapAtOnce, workingSetAtOnce, heap, workingSet, load, startedIn, waitingIn);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"({point.Waiting:N0} waiting: heap {heap:F1} MiB, working set {workingSet:F1} MiB, started in {startedIn.TotalSeconds:F0} s, all waiting after {waitingIn.TotalSeconds:F0} s, load {load:F1})"));
        return point;
    }

    private static RecoveryState State(RecoverySettings settings, int i)
    {
        var checkout = RecoveryBenchKit.Checkout("wait", i);
        var customerKey = RecoveryIds.CustomerKey(checkout.Email!);
        var instanceId = RecoveryIds.InstanceId(checkout.StoreId, customerKey);
        return RecoveryState.Start(checkout, instanceId, customerKey, DateTimeOffset.UtcNow, settings);
    }

    /// <summary>Instances not yet past their first episode (read by the bench's own client).</summary>
    private static async Task<int> PendingAsync(string hub)
    {
        var count = 0;
        await foreach (var _ in Azurite.Table(hub + "Instances").QueryAsync<TableEntity>("RuntimeStatus eq 'Pending'", select: ["PartitionKey"]))
        {
            count++;
        }

        return count;
    }

    private static double Slope(List<Point> points, Func<Point, double> y)
    {
        var mx = points.Average(p => (double)p.Waiting);
        var my = points.Average(y);
        var sxy = points.Sum(p => (p.Waiting - mx) * (y(p) - my));
        var sxx = points.Sum(p => (p.Waiting - mx) * (p.Waiting - mx));
        return sxx == 0 ? double.NaN : sxy / sxx;
    }
}
