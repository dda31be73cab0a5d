using DurableTask.Core.Exceptions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Automation.Returns;

/// <summary>
/// How the intakes hand a decided return to its orchestration. One instance per return, with a deterministic id
/// (<c>return-{storeId}-{rma}</c>), so a retried intake finds the instance it started instead of starting another.
/// </summary>
public static class StartReturnFlow
{
    /// <summary>The version new returns start with; instances keep the one they started with.</summary>
    public const string Orchestrator = nameof(CarryOutReturnOrchestrator.CarryOutReturnV1);

    public const string ReviewedEvent = nameof(ReturnReviewed);

    public static string InstanceId(string storeId, string rma) => $"return-{storeId}-{rma}";

    /// <summary>
    /// Starts carrying out a return that was just decided, once: if its instance exists (running or ended) it is
    /// left alone. False when it already existed.
    /// </summary>
    public static async Task<bool> ForDecidedAsync(DurableTaskClient client, string storeId, string rma, CancellationToken cancellationToken)
    {
        var instanceId = InstanceId(storeId, rma);
        if (await client.GetInstanceAsync(instanceId, cancellationToken) is not null) return false;
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(Orchestrator, new CarryOutReturn(storeId, rma), new StartOrchestrationOptions(instanceId), cancellationToken);
            return true;
        }
        catch (OrchestrationAlreadyExistsException)
        {
            // Another copy of this intake started it between our look and our start.
            return false;
        }
    }

    /// <summary>
    /// After an operator decided a held return: the instance waiting for that decision is told. If none is running
    /// (it stopped waiting, or the return was held before this flow existed), a new one starts in place of the
    /// ended one and carries the decision out; the effects that instance already made are not made again.
    /// </summary>
    public static async Task AfterReviewAsync(DurableTaskClient client, string storeId, string rma, ReturnReviewed reviewed, CancellationToken cancellationToken)
    {
        var instanceId = InstanceId(storeId, rma);
        if (await client.GetInstanceAsync(instanceId, cancellationToken) is { IsCompleted: false })
        {
            await client.RaiseEventAsync(instanceId, ReviewedEvent, reviewed, cancellationToken);
            return;
        }

        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(Orchestrator, new CarryOutReturn(storeId, rma), new StartOrchestrationOptions(instanceId), cancellationToken);
        }
        catch (OrchestrationAlreadyExistsException)
        {
            await client.RaiseEventAsync(instanceId, ReviewedEvent, reviewed, cancellationToken);
        }
    }
}
