using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Automation.Tests.Infrastructure;

namespace Automation.Tests.Infra;

/// <summary>
/// An ARM template compiled from infra/ by the Bicep CLI our package source serves (the same one infra/build.sh and
/// CI use), with its nested module templates, read as JSON. Nothing is deployed.
/// </summary>
public sealed partial class ArmTemplate
{
    private ArmTemplate(JsonObject root, string module, ArmTemplate? parent)
    {
        Root = root;
        Module = module;
        Parent = parent;
        Resources = ResourcesOf(root).ToList();
        Modules = Resources.Where(r => r.Type == "Microsoft.Resources/deployments")
            .Select(r => new ArmTemplate((JsonObject)r.Json["properties"]!["template"]!, r.Symbol, this)).ToList();
    }

    public JsonObject Root { get; }
    public string Module { get; }
    public ArmTemplate? Parent { get; }
    public IReadOnlyList<ArmResource> Resources { get; }
    public IReadOnlyList<ArmTemplate> Modules { get; }

    /// <summary>This template and every nested one.</summary>
    public IEnumerable<ArmTemplate> All => Modules.SelectMany(m => m.All).Prepend(this);

    public IEnumerable<ArmResource> AllResources => All.SelectMany(t => t.Resources);

    public JsonObject Parameters => Root["parameters"] as JsonObject ?? [];
    public JsonObject Variables => Root["variables"] as JsonObject ?? [];
    public JsonObject Outputs => Root["outputs"] as JsonObject ?? [];

    public IEnumerable<string> SecureParameters => Parameters
        .Where(p => p.Value?["type"]?.GetValue<string>() is { } type && type.StartsWith("secure", StringComparison.OrdinalIgnoreCase))
        .Select(p => p.Key);

    public ArmTemplate ModuleNamed(string symbol) => Modules.Single(m => m.Module == symbol);

    /// <summary>The resource of a type in this template (not the nested ones).</summary>
    public ArmResource Single(string type) => Resources.Single(r => r.Type == type);

    /// <summary>A literal variable, or the text of the expression it is.</summary>
    public JsonNode? Variable(string name) => Variables[name];

    public static ArmTemplate Compile(string bicepFile) =>
        new((JsonObject)JsonNode.Parse(Bicep("build", bicepFile, new Dictionary<string, string>()))!, "main", null);

    /// <summary>
    /// The ARM parameters a .bicepparam file compiles to. Its <c>readEnvironmentVariable()</c> secrets get stand-in
    /// values (as in infra/build.sh), so this shows where each value goes, not what it is.
    /// </summary>
    public static JsonObject CompileParameters(string bicepParamFile)
    {
        var text = File.ReadAllText(Path.Combine(LocalServices.RepositoryRoot, bicepParamFile));
        var environment = EnvironmentVariableRead().Matches(text).Select(m => m.Groups[1].Value).Distinct()
            .ToDictionary(name => name, _ => "stand-in-value-for-a-test-only-0123456789");
        var output = (JsonObject)JsonNode.Parse(Bicep("build-params", bicepParamFile, environment))!;
        return (JsonObject)JsonNode.Parse(output["parametersJson"]!.GetValue<string>())!;
    }

    private static string Bicep(string command, string file, IReadOnlyDictionary<string, string> environment)
    {
        var bicep = typeof(ArmTemplate).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value;
        if (string.IsNullOrEmpty(bicep) || !File.Exists(bicep))
            throw new InvalidOperationException($"No Bicep CLI at '{bicep}': restore the test project (it references Azure.Bicep.CommandLine.linux-x64).");

        var start = new ProcessStartInfo(bicep)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = LocalServices.RepositoryRoot,
        };
        foreach (var argument in new[] { command, Path.Combine(LocalServices.RepositoryRoot, file), "--stdout" }) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {command} did not finish within 2 minutes.");
        }
        // Warnings count as failures here too, as in CI.
        if (process.ExitCode != 0 || stderr.Result.Length > 0)
            throw new InvalidOperationException($"bicep {command} {file} failed ({process.ExitCode}):\n{stderr.Result}");
        return stdout.Result;
    }

    /// <summary>Every string in a node, with its JSON path (property names and values both: ARM puts expressions in either).</summary>
    public static IEnumerable<(string Path, string Text)> Strings(JsonNode? node, string path = "$")
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    yield return ($"{path}.{key}", key);
                    foreach (var s in Strings(value, $"{path}.{key}")) yield return s;
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                    foreach (var s in Strings(a[i], $"{path}[{i}]")) yield return s;
                break;
            case JsonValue v when v.TryGetValue<string>(out var text):
                yield return (path, text);
                break;
        }
    }

    public static IEnumerable<string> ReferencedVariables(string expression) =>
        VariableReference().Matches(expression).Select(m => m.Groups[1].Value).Distinct();

    public static bool References(string text, string kind, string name) => text.Contains($"{kind}('{name}')", StringComparison.Ordinal);

    private static IEnumerable<ArmResource> ResourcesOf(JsonObject template) => template["resources"] switch
    {
        // languageVersion 2.0 (symbolic names): an object keyed by the Bicep symbol.
        JsonObject named => named.Select(p => new ArmResource(p.Key, (JsonObject)p.Value!)),
        JsonArray list => list.Select((r, i) => new ArmResource($"#{i}", (JsonObject)r!)),
        _ => [],
    };

    [GeneratedRegex(@"readEnvironmentVariable\('([^']+)'")]
    private static partial Regex EnvironmentVariableRead();

    [GeneratedRegex(@"variables\('([^']+)'\)")]
    private static partial Regex VariableReference();
}

public sealed record ArmResource(string Symbol, JsonObject Json)
{
    public string Type => Json["type"]!.GetValue<string>();
    public JsonNode? Properties => Json["properties"];
}
