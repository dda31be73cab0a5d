using System.Globalization;
using Automation.Tests.Fuzz;
using Automation.Tests.Infrastructure;

namespace Automation.Bench;

/// <summary>
/// Issue 10, item 9, the longer run: the fuzz test's generator (tests/Automation.Tests/Fuzz) for as many requests as
/// asked, at 16 concurrent, against the real app on its own Azurite. Prints requests/s, the count of each status,
/// the 5xx (goal 0) with the request that got each, whether anything was stored that should not have been, and
/// whether the app still serves afterwards. Exit code 1 if any goal is missed.
/// </summary>
public static class FuzzBench
{
    public static async Task RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var seed = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : FuzzTests.Seed;
        const int concurrency = 16;
        await Task.WhenAll(Azurite.StartAsync(), MailSink.StartAsync());
        try
        {
            await using var fuzz = await FuzzHarness.StartAsync();
            var before = await FuzzHarness.SnapshotAsync();
            Console.WriteLine($"fuzz: {count} requests, seed {seed}, {concurrency} concurrent, load average {LoadAverage()}");

            var report = await fuzz.RunAsync(seed, count, concurrency);

            var after = await FuzzHarness.SnapshotAsync();
            var unexpected = after.Except(before).Where(a => !a.StartsWith("table Waitlist", StringComparison.Ordinal)).Concat(before.Except(after)).ToList();
            var queued = after.Except(before).Count(a => a.StartsWith("table Waitlist ", StringComparison.Ordinal) && a.Contains(" q|", StringComparison.Ordinal));
            var serving = await fuzz.StillServingAsync();

            Console.WriteLine(report.Summary());
            foreach (var failure in report.Failures.Take(20)) Console.WriteLine("  " + failure);
            Console.WriteLine($"stored: {queued} waitlist entries for {report.SignupsAccepted} accepted signups; {unexpected.Count} other changes (goal 0)");
            foreach (var change in unexpected.Take(20)) Console.WriteLine("  " + change);
            Console.WriteLine(serving.Count == 0 ? "still serving: yes" : "still serving: NO — " + string.Join("; ", serving));
            Console.WriteLine($"load average after: {LoadAverage()}");
            if (report.ServerErrors > 0 || report.Failures.Count > 0 || unexpected.Count > 0 || queued != report.SignupsAccepted || serving.Count > 0) Environment.ExitCode = 1;
        }
        finally
        {
            Azurite.Stop();
            MailSink.Stop();
        }
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
