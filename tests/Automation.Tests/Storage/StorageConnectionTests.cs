using Automation.LocalHost;
using Automation.LocalHost.Queues;
using Automation.Returns;
using Automation.Returns.Labels;
using Automation.Storage;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Automation.Tests.Storage;

/// <summary>
/// The app and the local host connect to storage by configuration alone: a connection string (Azurite), or the
/// Functions identity-based settings that infra/ deploys (no key anywhere). Clients are built without a network call,
/// so these run offline.
/// </summary>
public sealed class StorageConnectionTests
{
    private const string ClientId = "6f1c1bde-9a1e-4d0b-8f38-2f1f4e0b7a11";

    [Test]
    public void AccountName_WithUserAssignedIdentity_ConnectsToThePublicEndpointsWithThatIdentity()
    {
        var clients = AppClients(new()
        {
            ["AzureWebJobsStorage__accountName"] = "stautomation",
            ["AzureWebJobsStorage__credential"] = "managedidentity",
            ["AzureWebJobsStorage__clientId"] = ClientId,
        });

        Assert.Multiple(() =>
        {
            Assert.That(clients.Blobs.Uri, Is.EqualTo(new Uri("https://stautomation.blob.core.windows.net")));
            Assert.That(clients.Queues.Uri, Is.EqualTo(new Uri("https://stautomation.queue.core.windows.net")));
            Assert.That(clients.Tables.Uri, Is.EqualTo(new Uri("https://stautomation.table.core.windows.net")));
            Assert.That(clients.Blobs.AccountName, Is.EqualTo("stautomation"));
            Assert.That(clients.Connection.UsesIdentity, Is.True);
            Assert.That(clients.Connection.Credential, Is.InstanceOf<ManagedIdentityCredential>());
            Assert.That(clients.Blobs.CanGenerateAccountSasUri, Is.False, "no account key exists in identity mode");
        });
    }

    [Test]
    public void ServiceUris_WithoutCredentialSetting_UseDefaultAzureCredential()
    {
        var clients = AppClients(new()
        {
            ["AzureWebJobsStorage__blobServiceUri"] = "https://blobs.example.net",
            ["AzureWebJobsStorage__queueServiceUri"] = "https://queues.example.net",
            ["AzureWebJobsStorage__tableServiceUri"] = "https://tables.example.net",
        });

        Assert.Multiple(() =>
        {
            Assert.That(clients.Blobs.Uri, Is.EqualTo(new Uri("https://blobs.example.net")));
            Assert.That(clients.Queues.Uri, Is.EqualTo(new Uri("https://queues.example.net")));
            Assert.That(clients.Tables.Uri, Is.EqualTo(new Uri("https://tables.example.net")));
            Assert.That(clients.Connection.Credential, Is.InstanceOf<DefaultAzureCredential>(), "az login on a developer's machine, a managed identity in Azure");
        });
    }

    [Test]
    public void ServiceUri_OverridesTheAccountsDefaultEndpoint()
    {
        var clients = AppClients(new()
        {
            ["AzureWebJobsStorage__accountName"] = "stautomation",
            ["AzureWebJobsStorage__tableServiceUri"] = "https://stautomation.table.cosmos.azure.com",
            ["AzureWebJobsStorage__credential"] = "managedidentity",
        });

        Assert.That(clients.Tables.Uri, Is.EqualTo(new Uri("https://stautomation.table.cosmos.azure.com")));
        Assert.That(clients.Blobs.Uri, Is.EqualTo(new Uri("https://stautomation.blob.core.windows.net")));
    }

    [Test]
    public void ConnectionString_ConnectsWithTheKey()
    {
        var clients = AppClients(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" });

        Assert.That(clients.Connection.UsesIdentity, Is.False);
        Assert.That(clients.Blobs.Uri, Is.EqualTo(new Uri("http://127.0.0.1:10000/devstoreaccount1")));
        Assert.That(clients.Blobs.CanGenerateAccountSasUri, Is.True);
    }

    [Test]
    public void LocalHost_ReadsTheSameIdentitySettings()
    {
        var configuration = Configuration(new()
        {
            ["AzureWebJobsStorage__accountName"] = "stautomation",
            ["AzureWebJobsStorage__credential"] = "managedidentity",
            ["AzureWebJobsStorage__clientId"] = ClientId,
        });

        var host = new HostStorage(configuration, Options.Create(new QueuesOptions()), Options.Create(new HostStorageOptions()));

        Assert.That(host.Queues.Uri, Is.EqualTo(new Uri("https://stautomation.queue.core.windows.net")));
        Assert.That(host.Blobs.Uri, Is.EqualTo(new Uri("https://stautomation.blob.core.windows.net")));
        Assert.That(host.Connection.TableServiceUri, Is.EqualTo(new Uri("https://stautomation.table.core.windows.net")), "the Durable engine's tables");
        Assert.That(host.Connection.Credential, Is.InstanceOf<ManagedIdentityCredential>());
    }

    [TestCase(null, "AzureWebJobsStorage__accountName")]
    [TestCase("https://blobs.example.net", "AzureWebJobsStorage__queueServiceUri, AzureWebJobsStorage__tableServiceUri")]
    public void MissingSettings_StopTheAppNamingThem(string? blobUri, string named)
    {
        var settings = new Dictionary<string, string?>();
        if (blobUri is not null) settings["AzureWebJobsStorage__blobServiceUri"] = blobUri;

        var refused = Assert.Throws<OptionsValidationException>(() => AppClients(settings));

        Assert.That(refused.Message, Does.Contain(named));
    }

    [Test]
    public void PlainHttpServiceUri_IsRefused()
    {
        var refused = Assert.Throws<OptionsValidationException>(() => AppClients(new()
        {
            ["AzureWebJobsStorage__blobServiceUri"] = "http://blobs.example.net",
            ["AzureWebJobsStorage__queueServiceUri"] = "https://queues.example.net",
            ["AzureWebJobsStorage__tableServiceUri"] = "https://tables.example.net",
        }));

        Assert.That(refused.Message, Does.Contain("must be an absolute https URL"));
    }

    [TestCase("UseDevelopmentStorage=true", 30)]
    [TestCase(null, 7)]
    public void LabelLinks_LastAsConfigured_OrAtMostAWeekWithIdentity(string? connectionString, int days)
    {
        var settings = connectionString is null
            ? new Dictionary<string, string?> { ["AzureWebJobsStorage__accountName"] = "stautomation", ["AzureWebJobsStorage__credential"] = "managedidentity" }
            : new Dictionary<string, string?> { ["AzureWebJobsStorage"] = connectionString };

        var labels = new LabelStorage(AppClients(settings), Options.Create(new ReturnsOptions { LabelLinkLifetime = TimeSpan.FromDays(30) }), TimeProvider.System);

        // A user-delegation key (what signs links without an account key) is valid for at most 7 days.
        Assert.That(labels.LinkLifetime, Is.LessThanOrEqualTo(TimeSpan.FromDays(days)).And.GreaterThan(TimeSpan.FromDays(days - 1)));
    }

    private static StorageClients AppClients(Dictionary<string, string?> settings) =>
        new(Configuration(settings), Options.Create(new StorageClientsOptions()), new StorageOperationCounter());

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        // Environment-variable form (AzureWebJobsStorage__accountName), as app settings arrive on Azure.
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value))).Build();
}
