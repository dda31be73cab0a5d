using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace Automation.Storage;

/// <summary>Pipeline policies added to every storage client the app makes (a request counter for benchmarks, a host's queue notifier).</summary>
public sealed class StorageClientsOptions
{
    public List<HttpPipelinePolicy> Policies { get; } = [];
}

/// <summary>
/// The one place that turns <c>AzureWebJobsStorage</c> (a connection string, or identity-based settings) into clients. Queues, tables and containers are created
/// on first use and remembered, so hot paths never pay a "create if not exists" round trip twice; a creation that
/// failed (storage unreachable) is forgotten, so the next use tries again.
/// </summary>
public sealed class StorageClients
{
    private readonly ConcurrentDictionary<string, Lazy<Task<QueueClient>>> _queues = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<TableClient>>> _tables = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<BlobContainerClient>>> _containers = new();

    public StorageClients(IConfiguration configuration, IOptions<StorageClientsOptions> options, StorageOperationCounter counter)
    {
        Connection = StorageConnection.From(configuration);

        // Base64, as the Functions queue trigger expects (host.json extensions.queues.messageEncoding).
        Queues = Connection.CreateQueueServiceClient(Configure(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }, options.Value, counter));
        Tables = Connection.CreateTableServiceClient(Configure(new TableClientOptions(), options.Value, counter));
        Blobs = Connection.CreateBlobServiceClient(Configure(new BlobClientOptions(), options.Value, counter));
    }

    /// <summary>A connection string (Azurite, a key) or identity-based settings (<c>AzureWebJobsStorage__accountName</c>, …).</summary>
    public StorageConnection Connection { get; }

    public QueueServiceClient Queues { get; }
    public TableServiceClient Tables { get; }
    public BlobServiceClient Blobs { get; }

    public Task<QueueClient> QueueAsync(string name) => GetOrCreate(_queues, name, async n =>
    {
        var client = Queues.GetQueueClient(n);
        await client.CreateIfNotExistsAsync();
        return client;
    });

    public Task<TableClient> TableAsync(string name) => GetOrCreate(_tables, name, async n =>
    {
        var client = Tables.GetTableClient(n);
        await client.CreateIfNotExistsAsync();
        return client;
    });

    public Task<BlobContainerClient> ContainerAsync(string name) => GetOrCreate(_containers, name, async n =>
    {
        var client = Blobs.GetBlobContainerClient(n);
        await client.CreateIfNotExistsAsync();
        return client;
    });

    /// <summary>Forgets what was created (a test or an operator deleted it), so the next use creates it again.</summary>
    public void Forget()
    {
        _queues.Clear();
        _tables.Clear();
        _containers.Clear();
    }

    private static async Task<T> GetOrCreate<T>(ConcurrentDictionary<string, Lazy<Task<T>>> cache, string name, Func<string, Task<T>> create)
    {
        var lazy = cache.GetOrAdd(name, n => new Lazy<Task<T>>(() => create(n)));
        try
        {
            return await lazy.Value;
        }
        catch
        {
            cache.TryRemove(new KeyValuePair<string, Lazy<Task<T>>>(name, lazy));
            throw;
        }
    }

    private static TOptions Configure<TOptions>(TOptions clientOptions, StorageClientsOptions options, StorageOperationCounter counter) where TOptions : ClientOptions
    {
        // Fail within seconds when storage is away (the caller answers 503 or retries later), rather than after
        // the SDK's default of minutes of retries.
        clientOptions.Retry.MaxRetries = 3;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
        clientOptions.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        clientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        clientOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        foreach (var policy in options.Policies) clientOptions.AddPolicy(policy, HttpPipelinePosition.PerRetry);
        return clientOptions;
    }
}

/// <summary>Counts storage requests (every one is a billed transaction), for benchmarks and operators.</summary>
public sealed class StorageOperationCounter : HttpPipelineSynchronousPolicy
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
}
