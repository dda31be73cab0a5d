using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace Automation.Storage;

/// <summary>
/// A storage connection as the Functions host reads one: a connection string in <c>{name}</c> (Azurite locally,
/// <c>UseDevelopmentStorage=true</c>), or — with no key anywhere — the identity-based settings under <c>{name}__</c>:
/// <c>accountName</c> (the public cloud's endpoints) or <c>blobServiceUri</c>/<c>queueServiceUri</c>/<c>tableServiceUri</c>,
/// with <c>credential=managedidentity</c> and <c>clientId</c> for a user-assigned identity (otherwise
/// <see cref="DefaultAzureCredential"/>, which also covers <c>az login</c> on a developer's machine).
/// </summary>
public sealed class StorageConnection
{
    private StorageConnection(string name, string? connectionString, Uri? blob, Uri? queue, Uri? table, TokenCredential? credential)
    {
        Name = name;
        ConnectionString = connectionString;
        BlobServiceUri = blob;
        QueueServiceUri = queue;
        TableServiceUri = table;
        Credential = credential;
    }

    public string Name { get; }
    public string? ConnectionString { get; }
    public Uri? BlobServiceUri { get; }
    public Uri? QueueServiceUri { get; }
    public Uri? TableServiceUri { get; }

    /// <summary>Set for an identity-based connection; null with a connection string.</summary>
    public TokenCredential? Credential { get; }

    public bool UsesIdentity => Credential is not null;

    /// <summary>The connection named <paramref name="name"/>, or a clear error naming the settings to give.</summary>
    public static StorageConnection From(IConfiguration configuration, string name = "AzureWebJobsStorage") =>
        TryFrom(configuration, name) ?? throw new OptionsValidationException(name, typeof(StorageConnection),
        [
            $"{name} is not set: give a storage connection string (UseDevelopmentStorage=true for Azurite), or identity-based settings: " +
            $"{name}__accountName, or {name}__blobServiceUri, {name}__queueServiceUri and {name}__tableServiceUri " +
            $"(with {name}__credential=managedidentity and {name}__clientId for a user-assigned identity).",
        ]);

    /// <summary>Null when nothing is configured under <paramref name="name"/>.</summary>
    public static StorageConnection? TryFrom(IConfiguration configuration, string name = "AzureWebJobsStorage")
    {
        if (configuration[name] is { Length: > 0 } connectionString) return new StorageConnection(name, connectionString, null, null, null, null);

        var section = configuration.GetSection(name);
        var account = section["accountName"];
        var blob = Endpoint(section, "blobServiceUri", account, "blob") ?? Endpoint(section, "serviceUri", null, "blob");
        var queue = Endpoint(section, "queueServiceUri", account, "queue");
        var table = Endpoint(section, "tableServiceUri", account, "table");
        if (blob is null && queue is null && table is null) return null;

        var missing = new[] { ("blobServiceUri", blob), ("queueServiceUri", queue), ("tableServiceUri", table) }.Where(e => e.Item2 is null).Select(e => $"{name}__{e.Item1}").ToList();
        if (missing.Count > 0)
        {
            throw new OptionsValidationException(name, typeof(StorageConnection),
                [$"{name} uses identity-based settings but {string.Join(", ", missing)} is not set: the app uses blobs, queues and tables (or give {name}__accountName)."]);
        }

        return new StorageConnection(name, null, blob, queue, table, CredentialFor(section));
    }

    public BlobServiceClient CreateBlobServiceClient(BlobClientOptions options) =>
        Credential is null ? new BlobServiceClient(ConnectionString, options) : new BlobServiceClient(BlobServiceUri, Credential, options);

    public QueueServiceClient CreateQueueServiceClient(QueueClientOptions options) =>
        Credential is null ? new QueueServiceClient(ConnectionString, options) : new QueueServiceClient(QueueServiceUri, Credential, options);

    public TableServiceClient CreateTableServiceClient(TableClientOptions options) =>
        Credential is null ? new TableServiceClient(ConnectionString, options) : new TableServiceClient(TableServiceUri, Credential, options);

    private static Uri? Endpoint(IConfigurationSection section, string setting, string? account, string service)
    {
        if (section[setting] is { Length: > 0 } configured)
        {
            return Uri.TryCreate(configured, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
                ? uri
                : throw new OptionsValidationException(section.Path, typeof(StorageConnection), [$"{section.Path}__{setting} must be an absolute https URL."]);
        }

        // As the Functions host does for {name}__accountName: the public cloud's endpoints.
        return account is { Length: > 0 } ? new Uri($"https://{account}.{service}.core.windows.net") : null;
    }

    private static TokenCredential CredentialFor(IConfigurationSection section)
    {
        var clientId = section["clientId"];
        if (string.Equals(section["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            return section["managedIdentityResourceId"] is { Length: > 0 } resourceId
                ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedResourceId(new ResourceIdentifier(resourceId)))
                : clientId is { Length: > 0 } ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
                : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
        }

        if (section["tenantId"] is { Length: > 0 } tenantId && clientId is { Length: > 0 } && section["clientSecret"] is { Length: > 0 } secret)
        {
            return new ClientSecretCredential(tenantId, clientId, secret);
        }

        return new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId is { Length: > 0 } ? clientId : null });
    }
}
