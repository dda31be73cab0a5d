using Automation.Hosting;

namespace Automation.Flows;

/// <summary>Queue trigger on <c>flow-wakeups</c>: a flow's wait is over (or a step was delayed until now).</summary>
public sealed class RunFlowStep(FlowEngine engine, ILogger<RunFlowStep> logger) : QueueFunction<FlowWakeUp>
{
    protected override async Task RunAsync(FlowWakeUp message, QueueMessageContext context, CancellationToken cancellationToken)
    {
        logger.LogDebug("Waking flow {FlowId} of store {StoreId} (wake-up {WakeId}, attempt {Attempt})", message.FlowId, message.StoreId, message.WakeId, context.DequeueCount);
        await engine.WakeAsync(message, cancellationToken, isRetry: context.DequeueCount > 1);
    }
}
