using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Automation.Tests.Infrastructure;

namespace Automation.Tests.Infra;

/// <summary>
/// What infra/main.bicep deploys, read from the ARM template the Bicep CLI compiles it to: a Flex Consumption app on
/// the app's .NET version, storage that accepts identities only, the identity's roles, secrets that reach the app only
/// as Key Vault references and never appear in an output.
/// </summary>
public sealed partial class InfraTemplateTests
{
    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";
    private const string KeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";

    private static readonly Lazy<ArmTemplate> Compiled = new(() => ArmTemplate.Compile("infra/main.bicep"));

    private ArmTemplate _main = null!;
    private ArmTemplate _app = null!;

    [OneTimeSetUp]
    public void CompileBicep()
    {
        _main = Compiled.Value;
        _app = _main.ModuleNamed("functionApp");
    }

    [Test]
    public void App_RunsOnFlexConsumptionAtTheAppsDotnetVersion()
    {
        var plan = _app.Single("Microsoft.Web/serverfarms").Json;
        Assert.That(plan["sku"]!["name"]!.GetValue<string>(), Is.EqualTo("FC1"));
        Assert.That(plan["sku"]!["tier"]!.GetValue<string>(), Is.EqualTo("FlexConsumption"));
        Assert.That(plan["properties"]!["reserved"]!.GetValue<bool>(), Is.True, "Flex Consumption is Linux only");

        var site = _app.Single("Microsoft.Web/sites").Json;
        Assert.That(site["kind"]!.GetValue<string>(), Is.EqualTo("functionapp,linux"));
        var config = site["properties"]!["functionAppConfig"]!;
        Assert.That(config["runtime"]!["name"]!.GetValue<string>(), Is.EqualTo("dotnet-isolated"));
        Assert.That(config["runtime"]!["version"]!.GetValue<string>(), Is.EqualTo("[parameters('runtimeVersion')]"));
        Assert.That(_main.Parameters["runtimeVersion"]!["defaultValue"]!.GetValue<string>(), Is.EqualTo(AppDotnetVersion()),
            "the runtime Azure starts must be the .NET version the app is built for");

        Assert.That(config["scaleAndConcurrency"]!["instanceMemoryMB"]!.GetValue<string>(), Is.EqualTo("[parameters('instanceMemoryMB')]"));
        Assert.That(config["scaleAndConcurrency"]!["maximumInstanceCount"]!.GetValue<string>(), Is.EqualTo("[parameters('maximumInstanceCount')]"));
        Assert.That(_main.Parameters["instanceMemoryMB"]!["allowedValues"]!.AsArray().Select(v => v!.GetValue<int>()), Is.EquivalentTo(new[] { 512, 2048, 4096 }));

        var deployment = config["deployment"]!["storage"]!;
        Assert.That(deployment["type"]!.GetValue<string>(), Is.EqualTo("blobContainer"));
        Assert.That(deployment["authentication"]!["type"]!.GetValue<string>(), Is.EqualTo("UserAssignedIdentity"), "the package is read with the app's identity, not a key");
        Assert.That(site["properties"]!["httpsOnly"]!.GetValue<bool>(), Is.True);
    }

    [Test]
    public void Storage_AcceptsIdentitiesOnly()
    {
        var storage = _main.ModuleNamed("storage").Single("Microsoft.Storage/storageAccounts").Properties!;

        Assert.Multiple(() =>
        {
            Assert.That(storage["allowSharedKeyAccess"]!.GetValue<bool>(), Is.False);
            Assert.That(storage["allowBlobPublicAccess"]!.GetValue<bool>(), Is.False);
            Assert.That(storage["minimumTlsVersion"]!.GetValue<string>(), Is.EqualTo("TLS1_2"));
            Assert.That(storage["supportsHttpsTrafficOnly"]!.GetValue<bool>(), Is.True);
        });
    }

    [Test]
    public void AppIdentity_GetsTheDataRolesItNeedsAndNoOthers()
    {
        var granted = _main.All.SelectMany(t => t.Resources.Where(r => r.Type == "Microsoft.Authorization/roleAssignments").SelectMany(r => RoleIds(t, r))).ToList();

        Assert.That(granted, Is.EquivalentTo(new[]
        {
            StorageBlobDataOwner, StorageQueueDataContributor, StorageTableDataContributor, // storage: host, triggers incl. -poison, Durable, state
            MonitoringMetricsPublisher, // Application Insights with Entra auth
            KeyVaultSecretsUser, // reads secrets, nothing else
        }));
        foreach (var template in _main.All)
        {
            foreach (var assignment in template.Resources.Where(r => r.Type == "Microsoft.Authorization/roleAssignments"))
                Assert.That(assignment.Properties!["principalId"]!.GetValue<string>(), Is.EqualTo("[parameters('appPrincipalId')]"), $"{template.Module}.{assignment.Symbol} is for the app's identity");
        }
        Assert.That(_main.Single("Microsoft.ManagedIdentity/userAssignedIdentities"), Is.Not.Null);
        Assert.That(_app.Single("Microsoft.Web/sites").Json["identity"]!["type"]!.GetValue<string>(), Is.EqualTo("UserAssigned"));
    }

    [Test]
    public void AppSettings_ConnectToStorageAndTelemetryWithTheIdentity()
    {
        var settings = LiteralAppSettings();

        Assert.Multiple(() =>
        {
            Assert.That(settings, Does.ContainKey("AzureWebJobsStorage__accountName"));
            Assert.That(settings["AzureWebJobsStorage__credential"], Is.EqualTo("managedidentity"));
            Assert.That(settings["AzureWebJobsStorage__clientId"], Is.EqualTo("[parameters('identity').clientId]"));
            Assert.That(settings, Does.Not.ContainKey("AzureWebJobsStorage"), "a connection string would need a key");
            Assert.That(settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"], Does.Contain("Authorization=AAD").And.Contain("parameters('identity').clientId"));
            Assert.That(settings["AzureFunctionsJobHost__extensions__durableTask__hubName"], Is.EqualTo("[parameters('taskHubName')]"));
            Assert.That(settings, Does.ContainKey("AzureFunctionsJobHost__extensions__queues__maxPollingInterval"));
        });

        var insights = _main.ModuleNamed("monitoring").Single("Microsoft.Insights/components").Properties!;
        Assert.That(insights["DisableLocalAuth"]!.GetValue<bool>(), Is.True, "only Entra-authenticated telemetry is accepted");
        Assert.That(insights["WorkspaceResourceId"], Is.Not.Null, "workspace-based");
    }

    [Test]
    public void NothingAnywhere_UsesAStorageKey()
    {
        var everything = ArmTemplate.Strings(_main.Root).Select(s => s.Text).ToList();

        Assert.That(everything, Has.None.Contains("listKeys(").And.None.Contains("AccountKey=").And.None.Contains("SharedAccessSignature="));
        Assert.That(everything, Has.None.EqualTo("WEBSITE_CONTENTAZUREFILECONNECTIONSTRING").And.None.EqualTo("DEPLOYMENT_STORAGE_CONNECTION_STRING"));
    }

    [Test]
    public void Secrets_ReachTheAppOnlyAsKeyVaultReferences()
    {
        // Every literal setting with a secret-looking name is a Key Vault reference (today there is none).
        foreach (var (name, value) in LiteralAppSettings().Where(s => LooksSecret(s.Key)))
            Assert.That(value, Does.Contain("@Microsoft.KeyVault(SecretUri="), name);

        // The settings that hold secrets are named by secretSettingNames and valued with a Key Vault reference...
        var appSettings = AppSettingsExpression();
        Assert.That(appSettings, Does.Contain("variables('secretReferences')"));
        var secretReferences = _app.Variable("secretReferences")!.GetValue<string>();
        Assert.That(secretReferences, Does.StartWith("[toObject(parameters('secretSettingNames')").And.Contain("keyVaultReference("));
        Assert.That(ArmTemplate.Strings(_app.Root["functions"]).Select(s => s.Text), Has.Some.Contains("@Microsoft.KeyVault(SecretUri="));
        Assert.That(UsesOf(_app, "parameters", "secretSettingNames"), Is.EqualTo(new[] { "$.variables.secretReferences" }), "setting names are used for nothing else");

        // ...and nothing secret flows into the plain settings.
        var tainted = TaintedVariables(_main);
        var plain = ModuleParameter(_main, "functionApp", "settings");
        Assert.That(_main.SecureParameters.Where(p => ArmTemplate.References(plain, "parameters", p)), Is.Empty, plain);
        Assert.That(tainted.Where(v => ArmTemplate.References(plain, "variables", v)), Is.Empty, plain);

        // The one secret the app module receives is the operator key, for the host key and nothing else.
        Assert.That(_app.SecureParameters, Is.EqualTo(new[] { "adminApiKey" }));
        Assert.That(UsesOf(_app, "parameters", "adminApiKey"), Is.EqualTo(new[] { "$.resources.hostKey.properties.value" }));

        // Key Vault: RBAC, read with the app's identity; secrets land there and nowhere else.
        var vault = _main.ModuleNamed("keyVault");
        Assert.That(vault.Single("Microsoft.KeyVault/vaults").Properties!["enableRbacAuthorization"]!.GetValue<bool>(), Is.True);
        Assert.That(UsesOf(vault, "parameters", "secrets"), Has.All.StartWith("$.resources.vaultSecrets."));
        Assert.That(_app.Single("Microsoft.Web/sites").Properties!["keyVaultReferenceIdentity"]!.GetValue<string>(), Is.EqualTo("[parameters('identity').id]"));
    }

    [Test]
    public void Outputs_ContainNoSecret()
    {
        foreach (var template in _main.All)
        {
            var secure = template.SecureParameters.ToList();
            var tainted = TaintedVariables(template);
            foreach (var (path, text) in ArmTemplate.Strings(template.Outputs))
            {
                Assert.That(secure.Where(p => ArmTemplate.References(text, "parameters", p)), Is.Empty, $"{template.Module} output {path}");
                Assert.That(tainted.Where(v => ArmTemplate.References(text, "variables", v)), Is.Empty, $"{template.Module} output {path}");
                Assert.That(ListFunction().IsMatch(text), Is.False, $"{template.Module} output {path} calls a list*() function: {text}");
            }
        }
    }

    [Test]
    public void ExampleParameters_KeepSecretsInSecureParametersOnly()
    {
        var parameters = ArmTemplate.CompileParameters("infra/main.example.bicepparam")["parameters"]!;
        var secure = _main.SecureParameters.ToHashSet();

        foreach (var (name, value) in parameters.AsObject().Where(p => !secure.Contains(p.Key)))
        {
            var names = ArmTemplate.Strings(value).Where(s => s.Path.Split('.').Last() == s.Text).Select(s => s.Text);
            Assert.That(names.Where(LooksSecret), Is.Empty, $"parameter {name} is not secure, so it must not carry a secret");
        }
        var storeSecrets = parameters["storeSecrets"]!["value"]!.AsObject();
        Assert.That(storeSecrets.Select(s => s.Key), Is.EquivalentTo(parameters["stores"]!["value"]!.AsObject().Select(s => s.Key)));
        Assert.That(storeSecrets.SelectMany(s => s.Value!.AsObject().Select(p => p.Key)), Has.All.Matches<string>(s => LooksSecret(s!)));
    }

    /// <summary>Setting names that hold credentials (APPLICATIONINSIGHTS_CONNECTION_STRING does not: with local auth off it only names the resource).</summary>
    private static bool LooksSecret(string setting) => SecretName().IsMatch(setting) && setting != "APPLICATIONINSIGHTS_CONNECTION_STRING";

    private Dictionary<string, string> LiteralAppSettings()
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in ArmTemplate.ReferencedVariables(AppSettingsExpression()))
        {
            if (_app.Variable(variable) is JsonObject literal)
                foreach (var (key, value) in literal) settings[key] = value!.ToString();
        }
        foreach (var variable in ArmTemplate.ReferencedVariables(ModuleParameter(_main, "functionApp", "settings")))
        {
            if (_main.Variable(variable) is JsonObject literal)
                foreach (var (key, value) in literal) settings[key] = value!.ToString();
        }
        return settings;
    }

    private string AppSettingsExpression()
    {
        var config = _app.Resources.Single(r => r.Type == "Microsoft.Web/sites/config" && r.Json["name"]!.GetValue<string>().Contains("appsettings", StringComparison.Ordinal));
        return config.Properties!.GetValue<string>();
    }

    private static string ModuleParameter(ArmTemplate template, string module, string parameter)
    {
        var deployment = template.Resources.Single(r => r.Type == "Microsoft.Resources/deployments" && r.Symbol == module);
        return deployment.Properties!["parameters"]![parameter]!["value"]!.ToString();
    }

    /// <summary>JSON paths in a template (outside its nested modules) whose text refers to <c>kind('name')</c>.</summary>
    private static List<string> UsesOf(ArmTemplate template, string kind, string name)
    {
        var own = new JsonObject(template.Root.Where(p => p.Key != "parameters").Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        return ArmTemplate.Strings(own).Where(s => ArmTemplate.References(s.Text, kind, name)).Select(s => s.Path)
            .Where(p => !p.Contains(".properties.template.", StringComparison.Ordinal)).Distinct().ToList();
    }

    /// <summary>Variables computed from a secure parameter, directly or through another such variable.</summary>
    private static HashSet<string> TaintedVariables(ArmTemplate template)
    {
        var secure = template.SecureParameters.ToList();
        var tainted = new HashSet<string>(StringComparer.Ordinal);
        bool grew;
        do
        {
            grew = false;
            foreach (var (name, value) in template.Variables)
            {
                if (tainted.Contains(name)) continue;
                var texts = ArmTemplate.Strings(value).Select(s => s.Text).ToList();
                if (texts.Any(t => secure.Any(p => ArmTemplate.References(t, "parameters", p)) || tainted.Any(v => ArmTemplate.References(t, "variables", v))))
                    grew = tainted.Add(name);
            }
        } while (grew);
        return tainted;
    }

    private static IEnumerable<string> RoleIds(ArmTemplate template, ArmResource assignment)
    {
        var expression = assignment.Properties!["roleDefinitionId"]!.GetValue<string>();
        var texts = new List<string> { expression };
        foreach (var variable in ArmTemplate.ReferencedVariables(expression)) texts.Add(template.Variable(variable)!.ToString());
        // A loop over role ids (copy) grants each of them once.
        return texts.SelectMany(t => Guid().Matches(t).Select(m => m.Value)).Distinct();
    }

    private static string AppDotnetVersion()
    {
        var props = File.ReadAllText(Path.Combine(LocalServices.RepositoryRoot, "Directory.Build.props"));
        return TargetFramework().Match(props).Groups[1].Value;
    }

    [GeneratedRegex(@"secret|password|token|apikey|consumerkey|webhookurl|connection_?string|sas", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"\blist[A-Za-z]*\(")]
    private static partial Regex ListFunction();

    [GeneratedRegex(@"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Guid();

    [GeneratedRegex(@"<TargetFramework>net(\d+\.\d+)</TargetFramework>")]
    private static partial Regex TargetFramework();
}
