using Automation.LocalHost;
using Automation.Tests.Infrastructure;

namespace Automation.Bench;

/// <summary>Boots the real app for a benchmark against the bench's own Azurite (started on free loopback ports).</summary>
public static class BenchApp
{
    public static async Task<(WebApplication App, Uri BaseAddress)> StartAsync(Dictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        var port = LocalServices.FreePort();
        settings["AzureWebJobsStorage"] = Azurite.ConnectionString;
        settings["urls"] = $"http://127.0.0.1:{port}";
        settings.TryAdd("Signing:Secret", TestSecrets.For("signing"));
        settings.TryAdd("Logging:LogLevel:Default", "Warning");
        settings.TryAdd("Logging:LogLevel:Microsoft.AspNetCore", "Error");
        var root = Directory.CreateTempSubdirectory("automation-bench-").FullName;
        File.Copy(Path.Combine(LocalServices.RepositoryRoot, "host.json"), Path.Combine(root, "host.json"));
        var app = LocalFunctionsHost.Build([], new LocalHostSetup
        {
            ContentRoot = root,
            Configure = b => b.Configuration.AddInMemoryCollection(settings),
            ConfigureServices = services,
        });
        await app.StartAsync();
        return (app, new Uri($"http://127.0.0.1:{port}/"));
    }

    public static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    public static double WorkingSetMiB() => Environment.WorkingSet / 1024.0 / 1024.0;

    public static double ManagedHeapMiB()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true) / 1024.0 / 1024.0;
    }
}
