using System.Diagnostics;
using System.Globalization;
using System.Text;
using Automation.AbandonedCart;
using Automation.Runtime;
using Automation.Storage;
using Automation.Tests.Infrastructure;

namespace Automation.Bench;

/// <summary>
/// Crash safety of the abandoned-checkout flows: the local host runs as a child process
/// (<c>dotnet local-host/bin/Release/net10.0/Automation.LocalHost.dll</c>, configured by environment variables, with the
/// shipped host.json) while N checkout events are worked off; it is killed (<see cref="Process.Kill()"/>, SIGKILL) at
/// random moments K times and started again each time, then left to finish. Counted per customer: reminder and coupon
/// emails in the mail sink (exactly one each), coupons created at the platform fake (exactly one), the flow's outcome
/// row (present). Lost and duplicated flows are explained from the mail sink, the fake and the effect ledger.
/// <c>abandoned-cart-crash [flows=500] [kills=10]</c>
/// </summary>
public static class AbandonedCartCrashBench
{
    /// <summary>After each (re)start the host runs this long, at random, before it is killed.</summary>
    private static readonly (double Min, double Max) RunSeconds = (1, 12);

    public static async Task RunAsync(string[] args)
    {
        var flows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
        var kills = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var host = Path.Combine(LocalServices.RepositoryRoot, "local-host", "bin", "Release", "net10.0", "Automation.LocalHost.dll");
        if (!File.Exists(host)) throw new InvalidOperationException($"{host} is missing: build the solution first (dotnet build Automation.sln -c Release).");
        await Task.WhenAll(Azurite.StartAsync(), MailSink.StartAsync());
        try
        {
            await using var kit = await RecoveryBenchKit.StartAsync();
            Console.WriteLine(await RunAsync(kit, host, flows, kills));
        }
        finally
        {
            MailSink.Stop();
            Azurite.Stop();
        }
    }

    private static async Task<string> RunAsync(RecoveryBenchKit kit, string hostDll, int flows, int kills)
    {
        await Azurite.ResetAsync();
        await MailSink.ClearAsync();
        var root = Directory.CreateTempSubdirectory("automation-crash-").FullName;
        BenchApp.WriteHostJson(root);
        var logs = Directory.CreateDirectory(Path.Combine(root, "logs")).FullName;
        var port = LocalServices.FreePort();
        var environment = Environment(kit, port);
        var hub = HostProfile.Shipped.HubName(HostProfile.Shipped.EffectiveHostJson());
        var random = new Random();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(2) };

        // The events wait on the queue before the host first starts, as after an outage; the host works them off.
        var queue = Azurite.Queue(QueueNames.AbandonedCartEvents);
        await queue.CreateIfNotExistsAsync();
        for (var i = 0; i < flows; i++)
        {
            await queue.SendMessageAsync(BinaryData.FromObjectAsJson<Events.StoreEvent>(RecoveryBenchKit.Checkout("crash", i), Json.Options), timeToLive: TimeSpan.FromSeconds(-1));
        }

        var clock = Stopwatch.StartNew();
        var killedAt = new List<(TimeSpan At, int Completed)>();
        var starts = 0;
        Process? process = null;
        try
        {
            for (var k = 0; k < kills; k++)
            {
                process = Start(hostDll, root, environment, logs, ++starts);
                await UntilHealthyAsync(http, process);
                await Task.Delay(TimeSpan.FromSeconds(RunSeconds.Min + (random.NextDouble() * (RunSeconds.Max - RunSeconds.Min))));
                process.Kill();
                await process.WaitForExitAsync();
                process.Dispose();
                process = null;
                var completed = await RecoveryBenchKit.CompletedAsync();
                killedAt.Add((clock.Elapsed, completed));
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"(kill {k + 1} at {clock.Elapsed.TotalSeconds:F0} s: {completed} flows completed)"));
            }

            process = Start(hostDll, root, environment, logs, ++starts);
            await UntilHealthyAsync(http, process);
            await RecoveryBenchKit.UntilAsync(async () => await RecoveryBenchKit.CompletedAsync() >= flows, TimeSpan.FromMinutes(45), $"{flows} flows completed after the kills", TimeSpan.FromSeconds(2));
            var allCompleted = clock.Elapsed;
            await RecoveryBenchKit.UntilAsync(async () => await RecoveryBenchKit.UnfinishedInstancesAsync(hub) == 0, TimeSpan.FromMinutes(15), "every orchestration completed", TimeSpan.FromSeconds(2));
            // Late repeats (a redelivered event after its lease, a retried activity) would show up here.
            await Task.Delay(TimeSpan.FromSeconds(20));
            return await ReportAsync(kit, flows, killedAt, allCompleted, clock.Elapsed, logs);
        }
        finally
        {
            if (process is { HasExited: false })
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            process?.Dispose();
        }
    }

    /// <summary>The app's settings in their environment-variable form, as <c>run.sh</c> and <c>demo-stores.env</c> give them.</summary>
    private static Dictionary<string, string> Environment(RecoveryBenchKit kit, int port)
    {
        var settings = kit.AppSettings(TimeSpan.FromSeconds(1));
        settings["AzureWebJobsStorage"] = Azurite.ConnectionString;
        settings["urls"] = $"http://127.0.0.1:{port}";
        settings["AzureFunctionsWebHost:hostid"] = "crash-bench";
        settings["Logging:LogLevel:Default"] = "Warning";
        settings["Logging:LogLevel:Microsoft.AspNetCore"] = "Error";
        // Which email went out when, by its Message-Id, and which flows started: to explain a duplicate or a loss.
        settings["Logging:LogLevel:Automation"] = "Information";
        settings["Logging:Console:FormatterName"] = "simple";
        settings["Logging:Console:FormatterOptions:TimestampFormat"] = "HH:mm:ss.fff ";
        settings["Logging:Console:FormatterOptions:SingleLine"] = "true";
        return settings.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => kv.Value!);
    }

    private static Process Start(string hostDll, string root, Dictionary<string, string> environment, string logs, int number)
    {
        var info = new ProcessStartInfo("dotnet", [hostDll])
        {
            WorkingDirectory = root,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the local host.");
        var path = Path.Combine(logs, $"host-{number:D2}.log");
        void Write(string? line)
        {
            if (line is null) return;
            lock (environment) File.AppendAllText(path, line + "\n");
        }

        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task UntilHealthyAsync(HttpClient http, Process process)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (process.HasExited) throw new InvalidOperationException($"The local host exited with code {process.ExitCode} while starting (see its log).");
            try
            {
                using var response = await http.GetAsync("api/health");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The local host did not answer /api/health within 2 minutes.");
    }

    /// <summary>
    /// Why one email arrived twice: the same Message-Id means the same effect key (one step of one flow) was sent twice —
    /// a run was killed after the SMTP server took the message and before the effect ledger recorded it, and the retry
    /// after the ledger's lease could not know; different Message-Ids would mean two flows for one checkout.
    /// </summary>
    private static string ExplainEmails(List<ReceivedEmail> copies, string logs)
    {
        var ids = copies.Select(m => m.Header("message-id") ?? "?").ToList();
        var sentIn = ids.Distinct(StringComparer.Ordinal).Select(id =>
        {
            var bare = id.Trim('<', '>');
            var runs = Directory.EnumerateFiles(logs, "host-*.log").Order(StringComparer.Ordinal)
                .Where(f => File.ReadLines(f).Any(l => l.Contains("Sent message", StringComparison.Ordinal) && l.Contains(bare, StringComparison.Ordinal)))
                .Select(Path.GetFileNameWithoutExtension);
            return $"{id} logged as sent by {string.Join(", ", runs.DefaultIfEmpty("no run (killed before it logged)"))}";
        });
        var received = string.Join(", ", copies.Select(m => m.Header("date") ?? "?"));
        return (ids.Distinct(StringComparer.Ordinal).Count() == 1 ? "same Message-Id (same flow step sent again after a kill); " : "different Message-Ids (two flow runs); ")
            + string.Join("; ", sentIn) + $"; received {received}";
    }

    private static async Task<string> ReportAsync(RecoveryBenchKit kit, int flows, List<(TimeSpan At, int Completed)> kills, TimeSpan allCompleted, TimeSpan total, string logs)
    {
        var c = CultureInfo.InvariantCulture;
        var emails = await MailSink.AllAsync();
        var outcomes = await RecoveryBenchKit.OutcomesAsync();
        var customers = Enumerable.Range(0, flows).Select(i => RecoveryBenchKit.Email("crash", i)).ToList();
        var customerIds = Enumerable.Range(0, flows).ToDictionary(i => RecoveryBenchKit.Email("crash", i), i => $"gid://shopify/Customer/{100_000 + i}", StringComparer.Ordinal);
        var reminders = emails.Where(e => e.Subject.Contains("left something", StringComparison.Ordinal)).ToLookup(e => e.ToAddress, StringComparer.Ordinal);
        var couponEmails = emails.Where(e => e.Subject.Contains("% off", StringComparison.Ordinal)).ToLookup(e => e.ToAddress, StringComparer.Ordinal);
        var coupons = kit.CouponsCreated.ToLookup(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
        var outcomeByCustomer = outcomes.ToLookup(o => o.CustomerKey, StringComparer.Ordinal);

        var lost = new List<string>();
        var duplicates = new List<string>();
        foreach (var email in customers)
        {
            var key = RecoveryIds.CustomerKey(email);
            var r = reminders[email].ToList();
            var ce = couponEmails[email].ToList();
            var cp = coupons[customerIds[email]].ToList();
            var o = outcomeByCustomer[key].ToList();
            if (r.Count == 0 || ce.Count == 0 || cp.Count == 0 || !o.Any(x => x.State == "Completed"))
            {
                lost.Add($"{email}: {r.Count} reminder(s), {ce.Count} coupon email(s), {cp.Count} coupon(s), outcome {(o.Count == 0 ? "missing" : string.Join("/", o.Select(x => x.State)))}");
            }

            if (r.Count > 1) duplicates.Add($"{email}: {r.Count} reminders; {ExplainEmails(r, logs)}");
            if (ce.Count > 1) duplicates.Add($"{email}: {ce.Count} coupon emails; {ExplainEmails(ce, logs)}");
            if (cp.Count > 1) duplicates.Add($"{email}: {cp.Count} coupons created ({string.Join(", ", cp)})");
            if (o.Count > 1) duplicates.Add($"{email}: {o.Count} outcome rows ({string.Join(", ", o.Select(x => x.FlowId))})");
        }

        var retriedCoupons = kit.CouponRequests.Count(kv => kv.Value > 1);
        var text = new StringBuilder();
        text.AppendLine(c, $"abandoned-cart crash benchmark: {flows} flows (1 s waits), the local host as a child process killed (SIGKILL) {kills.Count} times at random moments and restarted; shipped host.json; {System.Environment.ProcessorCount} cores, load {RecoveryBenchKit.LoadAverage():F1}");
        text.AppendLine(c, $"  kills at (s / flows completed): {string.Join(", ", kills.Select(k => $"{k.At.TotalSeconds:F0}/{k.Completed}"))}");
        text.AppendLine(c, $"  every flow completed after {allCompleted.TotalSeconds:F0} s (total with the checks {total.TotalSeconds:F0} s)");
        text.AppendLine(c, $"  flows lost: {lost.Count} (goal 0)   duplicates: {duplicates.Count} (goal 0)");
        text.AppendLine(c, $"  emails in the sink: {emails.Count} (expected {2 * flows}); coupons created at the fake: {kit.CouponsCreated.Count} (expected {flows}); outcome rows: {outcomes.Count} (expected {flows}, {outcomes.Count(o => o.State == "Completed")} Completed)");
        text.AppendLine(c, $"  coupon creates retried after a kill and answered \"code taken\" (recognised as ours, not a duplicate): {retriedCoupons}");
        foreach (var line in lost.Take(20)) text.AppendLine("  lost: " + line);
        foreach (var line in duplicates.Take(20)) text.AppendLine("  duplicate: " + line);
        text.AppendLine(c, $"  host logs: {logs}");
        return text.ToString();
    }
}
