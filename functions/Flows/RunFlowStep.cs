using Automation.Runtime;

using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Flows;

/// <summary>Queue trigger on <c>flow-wakeups</c>: a flow's wait is over (or a step was delayed until now).</summary>
public sealed class RunFlowStep(FlowEngine engine, ILogger<RunFlowStep> logger)
{
    [Function(nameof(RunFlowStep))]
    public Task Run([QueueTrigger(QueueFlowTimers.QueueName)] QueueMessage message, CancellationToken cancellationToken) =>
        HandleAsync(message.Read<FlowWakeUp>(), message.IsRetry(), cancellationToken);

    private async Task HandleAsync(FlowWakeUp message, bool isRetry, CancellationToken cancellationToken)
    {
        logger.LogDebug("Waking flow {FlowId} of store {StoreId} (wake-up {WakeId}, {Attempt} attempt)", message.FlowId, message.StoreId, message.WakeId, isRetry ? "retry" : "first");
        await engine.WakeAsync(message, cancellationToken, isRetry: isRetry);
    }
}
