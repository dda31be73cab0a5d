using System.Collections.Concurrent;
using Automation.Hosting;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace Automation.Storage;

/// <summary>
/// The one place that turns <c>AzureWebJobsStorage</c> into clients. Queues, tables and containers are created
/// on first use and remembered, so hot paths never pay a "create if not exists" round trip twice.
/// </summary>
public sealed class StorageClients
{
    private readonly ConcurrentDictionary<string, Lazy<Task<QueueClient>>> _queues = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<TableClient>>> _tables = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<BlobContainerClient>>> _containers = new();

    public StorageClients(IConfiguration configuration, IOptions<QueuesOptions> queues, StorageOperationCounter counter)
    {
        var connectionString = configuration["AzureWebJobsStorage"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new OptionsValidationException("AzureWebJobsStorage", typeof(StorageClients), ["AzureWebJobsStorage is not set: give a storage connection string (UseDevelopmentStorage=true for Azurite)."]);
        }

        var queueOptions = new QueueClientOptions
        {
            MessageEncoding = queues.Value.MessageEncoding == "none" ? QueueMessageEncoding.None : QueueMessageEncoding.Base64,
        };
        var tableOptions = new TableClientOptions();
        var blobOptions = new BlobClientOptions();
        queueOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        tableOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        blobOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        Queues = new QueueServiceClient(connectionString, queueOptions);
        Tables = new TableServiceClient(connectionString, tableOptions);
        Blobs = new BlobServiceClient(connectionString, blobOptions);
    }

    public QueueServiceClient Queues { get; }
    public TableServiceClient Tables { get; }
    public BlobServiceClient Blobs { get; }

    public Task<QueueClient> QueueAsync(string name) => _queues.GetOrAdd(name, n => new(async () =>
    {
        var client = Queues.GetQueueClient(n);
        await client.CreateIfNotExistsAsync();
        return client;
    })).Value;

    public Task<TableClient> TableAsync(string name) => _tables.GetOrAdd(name, n => new(async () =>
    {
        var client = Tables.GetTableClient(n);
        await client.CreateIfNotExistsAsync();
        return client;
    })).Value;

    public Task<BlobContainerClient> ContainerAsync(string name) => _containers.GetOrAdd(name, n => new(async () =>
    {
        var client = Blobs.GetBlobContainerClient(n);
        await client.CreateIfNotExistsAsync();
        return client;
    })).Value;
}

/// <summary>Counts storage requests (every one is a billed transaction), for benchmarks and operators.</summary>
public sealed class StorageOperationCounter : HttpPipelineSynchronousPolicy
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
}
