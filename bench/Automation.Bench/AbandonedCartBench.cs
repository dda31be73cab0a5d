using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Automation.Events;
using Automation.LocalHost;
using Automation.LocalHost.Durable;
using Automation.Storage;
using Automation.Tests.Infrastructure;

namespace Automation.Bench;

/// <summary>
/// Abandoned-checkout flows on the real Durable engine (DurableTask.Core + the Azure Storage provider on Azurite), in
/// the app booted through the local host: checkout events on the <c>abandoned-cart-events</c> queue start
/// orchestrations that wait 1 s → re-check stock at the platform fake → email a reminder (SMTP, maildev) → wait 1 s →
/// re-check → create a coupon at the platform fake over HTTP → email it → write the outcome row. Every storage request
/// of the app, the host's listeners and the Durable provider is counted, by what it touched.
/// <list type="bullet">
/// <item><c>abandoned-cart [flows=500] [idle-minutes=3]</c>: Durable's default settings and the ones we ship, side by
/// side: completed flows/s, storage transactions per completed flow (goal: shipped ≤ 0.7 × default, flows/s no
/// worse), where they go, and the idle cost (transactions per minute with nothing to do).</item>
/// <item><c>abandoned-cart-tune [flows=300] [profile…]</c>: the candidate settings the shipped ones were chosen from.</item>
/// </list>
/// </summary>
public static class AbandonedCartBench
{
    private const int WarmUpFlows = 20;

    /// <summary><c>abandoned-cart [flows=500] [idle-minutes=3] [rounds=2] [wait-seconds=1]</c></summary>
    public static async Task RunAsync(string[] args)
    {
        var flows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
        var idle = TimeSpan.FromMinutes(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 3);
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2;
        var wait = TimeSpan.FromSeconds(args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 1);
        await Task.WhenAll(Azurite.StartAsync(), MailSink.StartAsync());
        try
        {
            await using var kit = await RecoveryBenchKit.StartAsync();
            // Interleaved (default, shipped, default, shipped…) so that the shared machine's load falls on both alike;
            // the idle cost is measured in the first round only.
            var baseline = new List<FlowsResult>();
            var shipped = new List<FlowsResult>();
            for (var round = 0; round < rounds; round++)
            {
                baseline.Add(await MeasureAsync(kit, HostProfile.Default, flows, round == 0 ? idle : TimeSpan.Zero, wait: wait));
                Console.Error.WriteLine(Row(baseline[^1]));
                shipped.Add(await MeasureAsync(kit, HostProfile.Shipped, flows, round == 0 ? idle : TimeSpan.Zero, wait: wait));
                Console.Error.WriteLine(Row(shipped[^1]));
            }

            Console.WriteLine(Compare(baseline, shipped, wait));
        }
        finally
        {
            MailSink.Stop();
            Azurite.Stop();
        }
    }

    /// <summary>The candidates, each a change to the shipped host.json; pass names to run only those.</summary>
    public static async Task TuneAsync(string[] args)
    {
        var flows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
        var idle = TimeSpan.FromMinutes(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 1);
        var wanted = args.Skip(2).ToHashSet(StringComparer.Ordinal);
        var candidates = Candidates().Where(c => wanted.Count == 0 || wanted.Contains(c.Name)).ToList();
        await Task.WhenAll(Azurite.StartAsync(), MailSink.StartAsync());
        try
        {
            await using var kit = await RecoveryBenchKit.StartAsync();
            var results = new List<FlowsResult>();
            foreach (var candidate in candidates)
            {
                var result = await MeasureAsync(kit, candidate, flows, idle, settle: TimeSpan.FromSeconds(90));
                results.Add(result);
                Console.WriteLine(Row(result));
                Console.WriteLine(Breakdown(result));
            }

            Console.WriteLine();
            Console.WriteLine($"abandoned-cart-tune: {flows} flows per candidate; idle = transactions per minute, 90 s after the last flow, over {idle.TotalMinutes} minute(s)");
            foreach (var result in results) Console.WriteLine(Row(result));
        }
        finally
        {
            MailSink.Stop();
            Azurite.Stop();
        }
    }

    private static IEnumerable<HostProfile> Candidates()
    {
        const string provider = "durableTask:storageProvider:";
        yield return HostProfile.Default;
        yield return HostProfile.Shipped;
        yield return HostProfile.ShippedWith("partitions-2", (provider + "partitionCount", "2"));
        yield return HostProfile.ShippedWith("partitions-4", (provider + "partitionCount", "4"));
        yield return HostProfile.ShippedWith("sessions-off", ("durableTask:extendedSessionsEnabled", "false"));
        yield return HostProfile.ShippedWith("sessions-idle-5", ("durableTask:extendedSessionIdleTimeoutInSeconds", "5"));
        yield return HostProfile.ShippedWith("sessions-idle-10", ("durableTask:extendedSessionIdleTimeoutInSeconds", "10"));
        yield return HostProfile.ShippedWith("sessions-idle-30", ("durableTask:extendedSessionIdleTimeoutInSeconds", "30"));
        yield return HostProfile.ShippedWith("orchestrators-20", ("durableTask:maxConcurrentOrchestratorFunctions", "20"));
        yield return HostProfile.ShippedWith("orchestrators-100", ("durableTask:maxConcurrentOrchestratorFunctions", "100"));
        yield return HostProfile.ShippedWith("orchestrators-500", ("durableTask:maxConcurrentOrchestratorFunctions", "500"));
        yield return HostProfile.ShippedWith("orchestrators-1000", ("durableTask:maxConcurrentOrchestratorFunctions", "1000"));
        yield return HostProfile.ShippedWith("activities-50", ("durableTask:maxConcurrentActivityFunctions", "50"));
        yield return HostProfile.ShippedWith("polling-5s", (provider + "maxQueuePollingInterval", "00:00:05"));
        yield return HostProfile.ShippedWith("polling-30s", (provider + "maxQueuePollingInterval", "00:00:30"));
        yield return HostProfile.ShippedWith("polling-2m", (provider + "maxQueuePollingInterval", "00:02:00"));
        yield return HostProfile.ShippedWith("batch-8", (provider + "controlQueueBatchSize", "8"));
        yield return HostProfile.ShippedWith("buffer-64", (provider + "controlQueueBufferThreshold", "64"));
        yield return HostProfile.ShippedWith("blob-partitions", (provider + "useTablePartitionManagement", "false"));
        yield return HostProfile.ShippedWith("app-lease-off", ("durableTask:useAppLease", "false"));
        yield return HostProfile.ShippedWith("app-lease-on", ("durableTask:useAppLease", "true"));
        yield return HostProfile.ShippedWith("queues-2s", ("queues:maxPollingInterval", "00:00:02"));
        yield return HostProfile.ShippedWith("queues-10s", ("queues:maxPollingInterval", "00:00:10"));
        yield return HostProfile.ShippedWith("queues-1m", ("queues:maxPollingInterval", "00:01:00"));
        yield return HostProfile.ShippedWith("queues-5m", ("queues:maxPollingInterval", "00:05:00"));
    }

    public sealed record FlowsResult(
        string Profile,
        string Settings,
        int Flows,
        double Seconds,
        StorageTransactionCounter.Snapshot Work,
        TimeSpan IdleWindow,
        StorageTransactionCounter.Snapshot? Idle,
        int Reminders,
        int CouponEmails,
        int DuplicateEmails,
        int Coupons,
        int CouponRetries,
        double LoadDuringFlows,
        double LoadDuringIdle)
    {
        public double FlowsPerSecond => Flows / Seconds;
        public double PerFlow => Work.Total / (double)Flows;
        public double IdlePerMinute => Idle is null ? double.NaN : Idle.Total / IdleWindow.TotalMinutes;

        /// <summary>Several rounds of one profile as one: flows and time summed (throughput over all rounds), the idle cost of the round that measured it.</summary>
        public static FlowsResult Merge(IReadOnlyList<FlowsResult> rounds)
        {
            var idle = rounds.FirstOrDefault(r => r.Idle is not null) ?? rounds[0];
            return new FlowsResult(rounds[0].Profile, rounds[0].Settings, rounds.Sum(r => r.Flows), rounds.Sum(r => r.Seconds), rounds.Skip(1).Aggregate(rounds[0].Work, (sum, r) => sum + r.Work),
                idle.IdleWindow, idle.Idle, rounds.Sum(r => r.Reminders), rounds.Sum(r => r.CouponEmails), rounds.Sum(r => r.DuplicateEmails), rounds.Sum(r => r.Coupons),
                rounds.Sum(r => r.CouponRetries), rounds.Average(r => r.LoadDuringFlows), idle.LoadDuringIdle);
        }
    }

    /// <summary>
    /// One profile: a fresh app and storage, <see cref="WarmUpFlows"/> flows to warm up (JIT, connections, tables and
    /// queues created), then <paramref name="flows"/> flows counted from the first event published until every
    /// orchestration has completed; then, with nothing to do, the idle cost over <paramref name="idle"/>.
    /// </summary>
    public static async Task<FlowsResult> MeasureAsync(RecoveryBenchKit kit, HostProfile profile, int flows, TimeSpan idle, TimeSpan? settle = null, TimeSpan? wait = null)
    {
        await Azurite.ResetAsync();
        await MailSink.ClearAsync();
        kit.ResetPlatform();
        var hostJson = profile.EffectiveHostJson();
        var hub = profile.HubName(hostJson);
        var counter = new StorageTransactionCounter(Azurite.ConnectionString, hub);
        var settings = kit.AppSettings(wait ?? TimeSpan.FromSeconds(1));
        foreach (var (key, value) in profile.Settings) settings[key] = value;
        // The Durable worker's stop (draining and releasing its partitions) gets time to finish before the next profile starts.
        settings["LocalHost:DrainTimeout"] = "00:00:30";
        var (app, _) = await BenchApp.StartAsync(settings, services =>
        {
            services.Configure<StorageClientsOptions>(o => o.Policies.Add(counter));
            services.Configure<HostStorageOptions>(o => o.Policies.Add(counter));
        }, profile.HostJson);
        try
        {
            return await MeasureAsync(kit, profile, app, counter, hub, Describe(app), flows, idle, settle);
        }
        finally
        {
            // Stopped before it is disposed: disposing alone leaves the Durable worker running on a disposed container.
            var stopping = Stopwatch.StartNew();
            await app.StopAsync();
            await app.DisposeAsync();
            await Console.Error.WriteLineAsync($"({profile.Name}: app stopped in {stopping.Elapsed.TotalSeconds:F1} s)");
        }
    }

    private static async Task<FlowsResult> MeasureAsync(RecoveryBenchKit kit, HostProfile profile, WebApplication app, StorageTransactionCounter counter, string hub, string described,
        int flows, TimeSpan idle, TimeSpan? settle)
    {
        var publisher = app.Services.GetRequiredService<EventPublisher>();

        await RecoveryBenchKit.PublishAsync(publisher, "warm", WarmUpFlows);
        await RecoveryBenchKit.UntilAsync(async () => await RecoveryBenchKit.CompletedAsync() >= WarmUpFlows, TimeSpan.FromMinutes(5), $"{WarmUpFlows} warm-up flows completed ({profile.Name})");
        await RecoveryBenchKit.UntilAsync(async () => await RecoveryBenchKit.UnfinishedInstancesAsync(hub) == 0, TimeSpan.FromMinutes(2), "warm-up orchestrations completed");

        var loads = new List<double> { RecoveryBenchKit.LoadAverage() };
        var before = counter.Take();
        var clock = Stopwatch.StartNew();
        await RecoveryBenchKit.PublishAsync(publisher, "run", flows);
        await RecoveryBenchKit.UntilAsync(async () =>
        {
            loads.Add(RecoveryBenchKit.LoadAverage());
            return await RecoveryBenchKit.CompletedAsync() >= WarmUpFlows + flows;
        }, TimeSpan.FromMinutes(30), $"{flows} flows completed ({profile.Name})");
        var seconds = clock.Elapsed.TotalSeconds;
        // The orchestrations end just after their outcome row (their last episode); their storage work is counted too.
        await RecoveryBenchKit.UntilAsync(async () => await RecoveryBenchKit.UnfinishedInstancesAsync(hub) == 0, TimeSpan.FromMinutes(2), "orchestrations completed");
        var work = counter.Take() - before;

        var emails = await MailSink.AllAsync();
        var reminders = emails.Where(e => e.Subject.Contains("left something", StringComparison.Ordinal)).ToList();
        var couponEmails = emails.Where(e => e.Subject.Contains("% off", StringComparison.Ordinal)).ToList();
        var duplicateEmails = emails.GroupBy(e => (e.ToAddress, Kind: e.Subject.Contains("% off", StringComparison.Ordinal))).Sum(g => g.Count() - 1);

        StorageTransactionCounter.Snapshot? idleWork = null;
        var idleLoads = new List<double>();
        if (idle > TimeSpan.Zero)
        {
            // Listeners and pollers back off to their longest interval first (queues: ~100 s to reach 1 minute).
            await Task.Delay(settle ?? TimeSpan.FromMinutes(2));
            var idleFrom = counter.Take();
            var idleClock = Stopwatch.StartNew();
            while (idleClock.Elapsed < idle)
            {
                idleLoads.Add(RecoveryBenchKit.LoadAverage());
                await Task.Delay(TimeSpan.FromSeconds(10) < idle - idleClock.Elapsed ? TimeSpan.FromSeconds(10) : idle - idleClock.Elapsed);
            }

            idleWork = counter.Take() - idleFrom;
            idle = idleClock.Elapsed;
        }

        return new FlowsResult(profile.Name, described, flows, seconds, work, idle, idleWork, reminders.Count - WarmUpFlows, couponEmails.Count - WarmUpFlows, duplicateEmails,
            kit.CouponsCreated.Count - WarmUpFlows, kit.CouponRequests.Values.Sum(n => n - 1), loads.Average(), idleLoads.Count == 0 ? double.NaN : idleLoads.Average());
    }

    /// <summary>The settings the engine and the listeners actually ran with.</summary>
    private static string Describe(WebApplication app)
    {
        var s = app.Services.GetRequiredService<DurableEngine>().Settings;
        var queues = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LocalHost.Queues.QueuesOptions>>().Value;
        return string.Create(CultureInfo.InvariantCulture,
            $"partitions {s.PartitionCount}, extended sessions {(s.ExtendedSessionsEnabled ? $"on ({s.ExtendedSessionIdleTimeout.TotalSeconds:F0} s idle)" : "off")}, " +
            $"orchestrators {s.MaxConcurrentTaskOrchestrationWorkItems}, activities {s.MaxConcurrentTaskActivityWorkItems}, control batch {s.ControlQueueBatchSize}, " +
            $"buffer {s.ControlQueueBufferThreshold}, Durable polling ≤ {s.MaxQueuePollingInterval.TotalSeconds:F0} s, " +
            $"{(s.UseTablePartitionManagement ? "table" : s.UseLegacyPartitionManagement ? "legacy blob" : "blob")} partition manager, app lease {(s.UseAppLease ? "on" : "off")}, " +
            $"visibility control {s.ControlQueueVisibilityTimeout.TotalSeconds:F0} s / work items {s.WorkItemQueueVisibilityTimeout.TotalSeconds:F0} s; " +
            $"app queues polling ≤ {queues.MaxPollingInterval.TotalSeconds:F0} s");
    }

    private static string Row(FlowsResult r) => string.Create(CultureInfo.InvariantCulture,
        $"  {r.Profile,-20} {r.FlowsPerSecond,6:F1} flows/s  {r.PerFlow,6:F1} tx/flow  idle {r.IdlePerMinute,6:F0} tx/min   load {r.LoadDuringFlows:F1}/{r.LoadDuringIdle:F1}   emails {r.Reminders}+{r.CouponEmails} (dup {r.DuplicateEmails}), coupons {r.Coupons} (retries {r.CouponRetries})   [{r.Settings}]");

    private static string Breakdown(FlowsResult r)
    {
        var text = new StringBuilder();
        text.AppendLine("    per flow:");
        AppendBreakdown(text, r.Work.ByKind, r.Work.ByKind, r.Flows, r.Flows, 40, minimum: 0.05);
        if (r.Idle is not null)
        {
            text.AppendLine("    idle per minute:");
            AppendBreakdown(text, r.Idle.ByKind, r.Idle.ByKind, r.IdleWindow.TotalMinutes, r.IdleWindow.TotalMinutes, 40, minimum: 0.01);
        }

        return text.ToString();
    }

    private static string Compare(List<FlowsResult> baselineRounds, List<FlowsResult> shippedRounds, TimeSpan wait)
    {
        var baseline = FlowsResult.Merge(baselineRounds);
        var shipped = FlowsResult.Merge(shippedRounds);
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        var perRound = baselineRounds[0].Flows;
        text.AppendLine(c, $"abandoned-cart benchmark: {perRound} flows per round, {baselineRounds.Count} round(s) per profile, interleaved (wait {wait.TotalSeconds:0.#} s → re-check → reminder email → wait {wait.TotalSeconds:0.#} s → re-check → coupon at the platform fake → coupon email → outcome row)");
        text.AppendLine(c, $"on the Durable Task engine (DurableTask.Core + Azure Storage provider) over Azurite, {Environment.ProcessorCount} cores; every storage request of the app, the host's listeners and Durable counted");
        text.AppendLine(c, $"  default: {baseline.Settings}");
        text.AppendLine(c, $"  shipped: {shipped.Settings}");
        text.AppendLine();
        text.AppendLine(c, $"  {"",-44}{"default",12}{"shipped",12}{"shipped/default",18}");
        text.AppendLine(c, $"  {"completed flows/s (all rounds)",-44}{baseline.FlowsPerSecond,12:F1}{shipped.FlowsPerSecond,12:F1}{shipped.FlowsPerSecond / baseline.FlowsPerSecond,18:F2}   goal ≥ 1.00: {(shipped.FlowsPerSecond >= baseline.FlowsPerSecond ? "met" : "NOT met")}");
        for (var i = 0; i < baselineRounds.Count; i++)
        {
            var (b, s) = (baselineRounds[i], shippedRounds[i]);
            text.AppendLine(c, $"  {$"  round {i + 1} (load average {b.LoadDuringFlows:F1} / {s.LoadDuringFlows:F1})",-44}{b.FlowsPerSecond,12:F1}{s.FlowsPerSecond,12:F1}{s.FlowsPerSecond / b.FlowsPerSecond,18:F2}");
        }

        text.AppendLine(c, $"  {"storage transactions per completed flow",-44}{baseline.PerFlow,12:F1}{shipped.PerFlow,12:F1}{shipped.PerFlow / baseline.PerFlow,18:F2}   goal ≤ 0.70: {(shipped.PerFlow <= 0.7 * baseline.PerFlow ? "met" : "NOT met")}");
        text.AppendLine(c, $"  {"  of which idle polling while the run lasted",-44}{baseline.IdlePerMinute * baseline.Seconds / 60 / baseline.Flows,12:F1}{shipped.IdlePerMinute * shipped.Seconds / 60 / shipped.Flows,12:F1}   (idle rate × run time, an upper bound)");
        text.AppendLine(c, $"  {"idle storage transactions per minute",-44}{baseline.IdlePerMinute,12:F1}{shipped.IdlePerMinute,12:F1}{shipped.IdlePerMinute / baseline.IdlePerMinute,18:F2}   (load {baseline.LoadDuringIdle:F1} / {shipped.LoadDuringIdle:F1})");
        text.AppendLine(c, $"  {"  per 30-day month, millions",-44}{baseline.IdlePerMinute * 60 * 24 * 30 / 1e6,12:F2}{shipped.IdlePerMinute * 60 * 24 * 30 / 1e6,12:F2}");
        text.AppendLine(c, $"  {"reminders / coupon emails / coupons",-44}{$"{baseline.Reminders}/{baseline.CouponEmails}/{baseline.Coupons}",12}{$"{shipped.Reminders}/{shipped.CouponEmails}/{shipped.Coupons}",12}   duplicates: emails {baseline.DuplicateEmails}/{shipped.DuplicateEmails}, coupon creates {baseline.CouponRetries}/{shipped.CouponRetries}");
        text.AppendLine();
        text.AppendLine("  per completed flow, by what was touched:                    default     shipped");
        AppendBreakdown(text, baseline.Work.ByOwner(), shipped.Work.ByOwner(), baseline.Flows, shipped.Flows, 40, minimum: 0.005);
        text.AppendLine();
        text.AppendLine("  per completed flow, by operation (≥ 0.05 in either):        default     shipped");
        AppendBreakdown(text, baseline.Work.ByKind, shipped.Work.ByKind, baseline.Flows, shipped.Flows, 60, minimum: 0.05);
        if (baseline.Idle is not null && shipped.Idle is not null)
        {
            text.AppendLine();
            text.AppendLine("  idle, per minute, by operation:                             default     shipped");
            AppendBreakdown(text, baseline.Idle.ByKind, shipped.Idle.ByKind, baseline.IdleWindow.TotalMinutes, shipped.IdleWindow.TotalMinutes, 60, minimum: 0.01);
        }

        return text.ToString();
    }

    private static void AppendBreakdown(StringBuilder text, IReadOnlyDictionary<string, long> a, IReadOnlyDictionary<string, long> b, double aPer, double bPer, int rows, double minimum = 0)
    {
        var keys = a.Keys.Union(b.Keys)
            .Select(k => (Key: k, A: a.GetValueOrDefault(k) / aPer, B: b.GetValueOrDefault(k) / bPer))
            .Where(x => Math.Max(x.A, x.B) >= minimum)
            .OrderByDescending(x => Math.Max(x.A, x.B))
            .Take(rows);
        foreach (var (key, va, vb) in keys)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"    {key,-56}{va,10:F2}{vb,12:F2}");
        }
    }
}
