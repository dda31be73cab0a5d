using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace Automation.Retention;

/// <summary>
/// Daily: purges the Durable history, inputs and outputs (which can hold a customer's email and name) of orchestrations
/// that ended — completed, failed or terminated — and started more than <c>Retention:FlowDays</c> ago. Running,
/// pending and suspended ones are kept whatever their age.
/// </summary>
public sealed class PurgeEndedFlows(IOptions<RetentionOptions> options, TimeProvider time, ILogger<PurgeEndedFlows> logger)
{
    /// <summary>Daily at 04:00 UTC.</summary>
    public const string Schedule = "0 0 4 * * *";

    private static readonly OrchestrationRuntimeStatus[] Ended = [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];

    [Function(nameof(PurgeEndedFlows))]
    public async Task Run([TimerTrigger(Schedule)] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var purged = await PurgeAsync(client, time.GetUtcNow(), cancellationToken);
        logger.LogInformation("Purged {Count} ended orchestration(s) started more than {Days} days ago", purged, options.Value.FlowDays);
    }

    /// <summary>Purges what has ended among the orchestrations started before <paramref name="now"/> minus the retention.</summary>
    public async Task<int> PurgeAsync(DurableTaskClient client, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var filter = new PurgeInstancesFilter(CreatedFrom: null, CreatedTo: now.AddDays(-options.Value.FlowDays), Statuses: Ended);
        return (await client.PurgeAllInstancesAsync(filter, cancellation: cancellationToken)).PurgedInstanceCount;
    }
}
