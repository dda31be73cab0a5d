using System.Text.Json;
using System.Text.Json.Nodes;
using Automation.LocalHost;
using Automation.Tests.Infrastructure;

namespace Automation.Bench;

/// <summary>Boots the real app for a benchmark against the bench's own Azurite (started on free loopback ports).</summary>
public static class BenchApp
{
    /// <param name="hostJson">Edits the repository's host.json before the app reads it (a benchmark's variant of the settings).</param>
    public static async Task<(WebApplication App, Uri BaseAddress)> StartAsync(Dictionary<string, string?> settings, Action<IServiceCollection>? services = null, Action<JsonObject>? hostJson = null)
    {
        var port = LocalServices.FreePort();
        settings["AzureWebJobsStorage"] = Azurite.ConnectionString;
        settings["urls"] = $"http://127.0.0.1:{port}";
        settings.TryAdd("Signing:Secret", TestSecrets.For("signing"));
        settings.TryAdd("Logging:LogLevel:Default", "Warning");
        settings.TryAdd("Logging:LogLevel:Microsoft.AspNetCore", "Error");
        var root = Directory.CreateTempSubdirectory("automation-bench-").FullName;
        WriteHostJson(root, hostJson);
        var app = LocalFunctionsHost.Build([], new LocalHostSetup
        {
            ContentRoot = root,
            Configure = b => b.Configuration.AddInMemoryCollection(settings),
            ConfigureServices = services,
        });
        await app.StartAsync();
        return (app, new Uri($"http://127.0.0.1:{port}/"));
    }

    /// <summary>Writes the repository's host.json into <paramref name="folder"/>, edited by <paramref name="edit"/>.</summary>
    public static void WriteHostJson(string folder, Action<JsonObject>? edit = null)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(LocalServices.RepositoryRoot, "host.json")))!.AsObject();
        edit?.Invoke(json);
        File.WriteAllText(Path.Combine(folder, "host.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
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
