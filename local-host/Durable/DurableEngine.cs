using Automation.LocalHost.Functions;
using Automation.Storage;
using Azure.Core.Serialization;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Options;

namespace Automation.LocalHost.Durable;

/// <summary>
/// The Durable Task engine that Durable Functions runs on Azure — DurableTask.Core's <see cref="TaskHubWorker"/> over
/// the Azure Storage provider (control and work-item queues, History and Instances tables, partition leases in
/// blobs) — configured from host.json's <c>extensions.durableTask</c>. Orchestrator and activity functions run
/// through the Durable worker's own shims, so <see cref="TaskOrchestrationContext"/> behaves as in the isolated worker.
/// </summary>
internal sealed class DurableEngine : IHostedService, IDisposable
{
    private readonly IReadOnlyList<FunctionDescriptor> _functions;
    private readonly FunctionInvoker _invoker;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly LocalHostOptions _host;
    private readonly CancellationTokenSource _stopping = new();
    private TaskHubWorker? _worker;
    private Task? _starting;

    public DurableEngine(IReadOnlyList<FunctionDescriptor> functions, FunctionInvoker invoker, HostStorage storage, IConfiguration configuration,
        IOptions<DurableHubOptions> options, IOptions<WorkerOptions> worker, IOptions<LocalHostOptions> host, TimeProvider time, ILoggerFactory loggers)
    {
        _functions = functions;
        _invoker = invoker;
        _loggers = loggers;
        _logger = loggers.CreateLogger<DurableEngine>();
        _host = host.Value;
        Converter = new SerializerDataConverter(worker.Value.Serializer ?? new JsonObjectSerializer(new System.Text.Json.JsonSerializerOptions { PropertyNameCaseInsensitive = true }));
        Settings = CreateSettings(options.Value, storage, configuration, loggers);
        Service = new AzureStorageOrchestrationService(Settings);
        Client = new LocalDurableTaskClient(Service, Converter, time);
    }

    public AzureStorageOrchestrationServiceSettings Settings { get; }
    public AzureStorageOrchestrationService Service { get; }
    public DataConverter Converter { get; }
    public DurableTaskClient Client { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var orchestrators = _functions.Where(f => f.Trigger == TriggerKind.Orchestration).ToList();
        var activities = _functions.Where(f => f.Trigger == TriggerKind.Activity).ToList();
        if (orchestrators.Count == 0 && activities.Count == 0) return;

        var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions { DataConverter = Converter }, _loggers);
        _worker = new TaskHubWorker(Service, _loggers);
        _worker.AddTaskOrchestrations([.. orchestrators.Select(f => new NamedCreator<TaskOrchestration>(f.Name,
            () => shims.CreateOrchestration(f.Name, new FunctionOrchestrator(f, _invoker, Converter, _loggers))))]);
        _worker.AddTaskActivities([.. activities.Select(f => new NamedCreator<TaskActivity>(f.Name,
            () => shims.CreateActivity(f.Name, new FunctionActivity(f, _invoker, _stopping.Token))))]);

        // Storage may be away when the host starts: keep trying in the background rather than failing the host.
        _starting = StartWorkerAsync(_stopping.Token);
        await Task.WhenAny(_starting, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken));
    }

    private async Task StartWorkerAsync(CancellationToken stopping)
    {
        for (var attempt = 1; !stopping.IsCancellationRequested; attempt++)
        {
            try
            {
                await Service.CreateIfNotExistsAsync();
                await _worker!.StartAsync();
                _logger.LogInformation("Durable task hub {Hub} started: {Partitions} partitions, extended sessions {Sessions}", Settings.TaskHubName, Settings.PartitionCount, Settings.ExtendedSessionsEnabled);
                return;
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                _logger.LogWarning("Starting the Durable task hub failed (attempt {Attempt}: {Error}); retrying", attempt, ex.GetType().Name);
                try { await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), stopping); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_worker is null) return;
        if (_starting is not null) await Task.WhenAny(_starting, Task.Delay(_host.StopStorageTimeout, CancellationToken.None));

        // Forced: orchestrations in flight are abandoned (their messages reappear for the next start), as when an
        // instance is recycled. Bounded, because storage may be gone and the provider would retry for a long time.
        var stop = _worker.StopAsync(isForced: true);
        if (await Task.WhenAny(stop, Task.Delay(_host.DrainTimeout + _host.StopStorageTimeout, CancellationToken.None)) != stop)
        {
            _logger.LogWarning("The Durable task hub did not stop in time; leaving its leases to expire");
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _worker?.Dispose();
    }

    private static AzureStorageOrchestrationServiceSettings CreateSettings(DurableHubOptions options, HostStorage storage, IConfiguration configuration, ILoggerFactory loggers)
    {
        var provider = options.StorageProvider;
        // host.json storageProvider.connectionName, as the extension reads it: a connection string or identity-based settings.
        var connection = StorageConnection.TryFrom(configuration, provider.ConnectionName) ?? storage.Connection;
        var processors = Environment.ProcessorCount;
        var extendedSessionIdle = TimeSpan.FromSeconds(Math.Max(options.ExtendedSessionIdleTimeoutInSeconds, 0));
        return new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = new StorageAccountClientProvider(
                new ConfiguredClientProvider<BlobServiceClient, BlobClientOptions>(() => storage.Configure(new BlobClientOptions()), connection.CreateBlobServiceClient),
                new ConfiguredClientProvider<QueueServiceClient, QueueClientOptions>(() => storage.Configure(new QueueClientOptions()), connection.CreateQueueServiceClient),
                new ConfiguredClientProvider<TableServiceClient, TableClientOptions>(() => storage.Configure(new TableClientOptions()), connection.CreateTableServiceClient)),
            TaskHubName = options.HubName,
            PartitionCount = provider.PartitionCount,
            ControlQueueBatchSize = provider.ControlQueueBatchSize,
            ControlQueueBufferThreshold = provider.ControlQueueBufferThreshold,
            ControlQueueVisibilityTimeout = provider.ControlQueueVisibilityTimeout,
            WorkItemQueueVisibilityTimeout = provider.WorkItemQueueVisibilityTimeout,
            MaxQueuePollingInterval = provider.MaxQueuePollingInterval,
            MaxConcurrentTaskOrchestrationWorkItems = options.MaxConcurrentOrchestratorFunctions ?? 10 * processors,
            MaxConcurrentTaskActivityWorkItems = options.MaxConcurrentActivityFunctions ?? 10 * processors,
            ExtendedSessionsEnabled = options.ExtendedSessionsEnabled,
            ExtendedSessionIdleTimeout = extendedSessionIdle,
            FetchLargeMessageDataEnabled = provider.FetchLargeMessagesAutomatically,
            ThrowExceptionOnInvalidDedupeStatus = true,
            UseAppLease = options.UseAppLease,
            UseLegacyPartitionManagement = provider.UseLegacyPartitionManagement,
            UseTablePartitionManagement = provider.UseTablePartitionManagement,
            LoggerFactory = loggers,
        };
    }

    /// <summary>Builds the provider's storage clients with the host's retry settings and pipeline policies.</summary>
    private sealed class ConfiguredClientProvider<TClient, TOptions>(Func<TOptions> options, Func<TOptions, TClient> create) : IStorageServiceClientProvider<TClient, TOptions>
        where TOptions : Azure.Core.ClientOptions
    {
        public TOptions CreateOptions() => options();

        public TClient CreateClient(TOptions options) => create(options);
    }
}
