using Automation.LocalHost.Configuration;

namespace Automation.LocalHost.Durable;

/// <summary>
/// host.json <c>extensions.durableTask</c>, read as the Durable Functions extension (v3, Azure Storage provider) reads
/// it, with its defaults; the local host maps it onto the same <c>AzureStorageOrchestrationServiceSettings</c>.
/// </summary>
public sealed class DurableHubOptions
{
    public const string Section = FunctionsConfiguration.JobHostSection + ":extensions:durableTask";

    public string HubName { get; set; } = "TestHubName";
    public DurableStorageProviderOptions StorageProvider { get; set; } = new();
    public bool ExtendedSessionsEnabled { get; set; }
    public int ExtendedSessionIdleTimeoutInSeconds { get; set; } = 30;
    public int? MaxConcurrentActivityFunctions { get; set; }
    public int? MaxConcurrentOrchestratorFunctions { get; set; }
    public bool UseAppLease { get; set; } = true;

    public IEnumerable<string> Validate()
    {
        if (HubName.Length is < 3 or > 45 || !HubName.All(char.IsAsciiLetterOrDigit) || !char.IsAsciiLetter(HubName[0]))
            yield return $"extensions.durableTask.hubName '{HubName}' must be 3-45 letters and digits, starting with a letter.";
        var provider = StorageProvider;
        if (provider.PartitionCount is < 1 or > 16) yield return "extensions.durableTask.storageProvider.partitionCount must be 1 to 16.";
        if (provider.ControlQueueBatchSize is < 1 or > 32) yield return "extensions.durableTask.storageProvider.controlQueueBatchSize must be 1 to 32.";
        if (provider.MaxQueuePollingInterval <= TimeSpan.Zero) yield return "extensions.durableTask.storageProvider.maxQueuePollingInterval must be positive.";
        if (provider.ControlQueueVisibilityTimeout <= TimeSpan.Zero || provider.WorkItemQueueVisibilityTimeout <= TimeSpan.Zero)
            yield return "extensions.durableTask.storageProvider visibility timeouts must be positive.";
    }
}

/// <summary>host.json <c>extensions.durableTask.storageProvider</c> (Azure Storage), with the extension's defaults.</summary>
public sealed class DurableStorageProviderOptions
{
    public string ConnectionName { get; set; } = "AzureWebJobsStorage";
    public int PartitionCount { get; set; } = 4;
    public int ControlQueueBatchSize { get; set; } = 32;
    public int ControlQueueBufferThreshold { get; set; } = 256;
    public TimeSpan ControlQueueVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan WorkItemQueueVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(30);
    public bool UseTablePartitionManagement { get; set; }
    public bool UseLegacyPartitionManagement { get; set; }
    public bool FetchLargeMessagesAutomatically { get; set; } = true;
}
