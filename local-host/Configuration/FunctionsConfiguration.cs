using System.Text.Json;

namespace Automation.LocalHost.Configuration;

/// <summary>
/// Layers configuration the way the Functions host does: host.json under <c>AzureFunctionsJobHost</c>,
/// then <c>local.settings.json</c> <c>Values</c>, then environment variables (which win), then the command line.
/// </summary>
internal static class FunctionsConfiguration
{
    public const string JobHostSection = "AzureFunctionsJobHost";

    public static void AddFunctionsConventions(this ConfigurationManager configuration, string contentRoot, string[] args)
    {
        var hostJson = Path.Combine(contentRoot, "host.json");
        if (File.Exists(hostJson))
        {
            configuration.AddInMemoryCollection(ReadHostJson(hostJson));
        }

        var localSettings = Path.Combine(contentRoot, "local.settings.json");
        if (File.Exists(localSettings))
        {
            configuration.AddInMemoryCollection(ReadValues(localSettings));
        }

        // Environment variables and the command line override files, as in Azure where app settings win.
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine(args);
    }

    public static IEnumerable<KeyValuePair<string, string?>> ReadHostJson(string path) =>
        new ConfigurationBuilder().AddJsonFile(path, optional: false).Build().AsEnumerable()
            .Where(kv => kv.Value is not null)
            .Select(kv => new KeyValuePair<string, string?>($"{JobHostSection}:{kv.Key}", kv.Value));

    /// <summary>Reads <c>Values</c>; keys use the environment-variable form (<c>Stores__demo__Platform</c>).</summary>
    internal static IEnumerable<KeyValuePair<string, string?>> ReadValues(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (!doc.RootElement.TryGetProperty("Values", out var values) || values.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }

        foreach (var property in values.EnumerateObject())
        {
            var value = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText();
            yield return new(property.Name.Replace("__", ":", StringComparison.Ordinal), value);
        }
    }

    /// <summary>Resolves <c>%Setting%</c> references, as Functions does in trigger attributes.</summary>
    public static string ResolveSettingReference(this IConfiguration configuration, string value)
    {
        if (value.Length > 2 && value[0] == '%' && value[^1] == '%')
        {
            var name = value[1..^1];
            return configuration[name.Replace("__", ":", StringComparison.Ordinal)]
                ?? throw new InvalidOperationException($"App setting '{name}' referenced as '{value}' is not set.");
        }

        return value;
    }

    /// <summary>Functions' convention for switching a function off: the app setting <c>AzureWebJobs.{Name}.Disabled</c>.</summary>
    public static bool IsFunctionDisabled(this IConfiguration configuration, string functionName) =>
        bool.TryParse(configuration[$"AzureWebJobs.{functionName}.Disabled"] ?? configuration[$"AzureWebJobs:{functionName}:Disabled"], out var disabled) && disabled;
}
