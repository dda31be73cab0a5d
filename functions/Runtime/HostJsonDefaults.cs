namespace Automation.Runtime;

/// <summary>
/// The worker reads a few host.json settings too (<c>extensions.queues.maxDequeueCount</c> for the poison decision).
/// On Azure only the host reads host.json, so the app reads the copy shipped beside it, under
/// <c>AzureFunctionsJobHost:*</c> and below every other source: an app setting such as
/// <c>AzureFunctionsJobHost__extensions__queues__maxDequeueCount</c> overrides it, for host and worker alike.
/// </summary>
internal static class HostJsonDefaults
{
    public static void AddHostJsonDefaults(this IConfigurationManager configuration)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "host.json");
        if (!File.Exists(path)) return;
        var values = new ConfigurationBuilder().AddJsonFile(path, optional: true).Build().AsEnumerable()
            .Where(kv => kv.Value is not null)
            .Select(kv => new KeyValuePair<string, string?>("AzureFunctionsJobHost:" + kv.Key, kv.Value))
            .ToList();
        configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = values });
    }
}
