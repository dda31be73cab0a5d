using Automation.Storage;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace Automation.LocalHost;

/// <summary>Pipeline policies for every storage client the local host makes (the benchmarks count requests with one).</summary>
public sealed class HostStorageOptions
{
    public List<HttpPipelinePolicy> Policies { get; } = [];
}

/// <summary>The host's own storage clients (AzureWebJobsStorage): queue listeners, timer locks and status, Durable.</summary>
public sealed class HostStorage
{
    public HostStorage(IConfiguration configuration, IOptions<Queues.QueuesOptions> queues, IOptions<HostStorageOptions> options)
    {
        // A connection string (Azurite) or identity-based settings, read as the Functions host reads them.
        Connection = StorageConnection.From(configuration);
        Policies = options.Value.Policies;
        var encoding = queues.Value.MessageEncoding == "none" ? QueueMessageEncoding.None : QueueMessageEncoding.Base64;
        Queues = Connection.CreateQueueServiceClient(Configure(new QueueClientOptions { MessageEncoding = encoding }));
        Blobs = Connection.CreateBlobServiceClient(Configure(new BlobClientOptions()));
    }

    public StorageConnection Connection { get; }
    public IReadOnlyList<HttpPipelinePolicy> Policies { get; }
    public QueueServiceClient Queues { get; }
    public BlobServiceClient Blobs { get; }

    public TOptions Configure<TOptions>(TOptions clientOptions) where TOptions : ClientOptions
    {
        // A poll or a lease renewal that cannot reach storage fails within seconds and is tried again on the next
        // round, so the host stays responsive (and stops promptly) while storage is away.
        clientOptions.Retry.MaxRetries = 2;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
        clientOptions.Retry.MaxDelay = TimeSpan.FromSeconds(1);
        clientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        foreach (var policy in Policies) clientOptions.AddPolicy(policy, HttpPipelinePosition.PerRetry);
        return clientOptions;
    }
}
