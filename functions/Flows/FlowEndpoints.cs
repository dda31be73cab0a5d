using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Automation.Flows;

/// <summary>What the operator's view of a flow is built from.</summary>
public sealed record FlowView(
    string StoreId,
    string FlowId,
    string Definition,
    int DefinitionVersion,
    string Status,
    string RuntimeStatus,
    string? Step,
    DateTimeOffset? NextDueAt,
    DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? EndedAt,
    string? EndReason,
    IReadOnlyList<FlowHistoryEntry> History);

/// <summary>
/// Flows that end before an orchestration starts (a start condition said no) are recorded by their automation, not by
/// Durable; it answers for them here.
/// </summary>
public interface IFlowStatusSource
{
    /// <summary>The flow's view when this source knows it better than <paramref name="instance"/> (which may be null).</summary>
    Task<FlowView?> FindAsync(string storeId, string flowId, FlowView? instance, CancellationToken cancellationToken);
}

/// <summary>
/// <c>GET /api/flows/{storeId}/{flowId}</c> (admin key): a flow's status and history from Durable's instance status and
/// the custom status every flow keeps (<see cref="FlowProgress"/>), so an operator can see why a message was or was not
/// sent. Inputs and outputs (which hold personal data) are not read. The flow id is the orchestration's instance id.
/// </summary>
public sealed class FlowEndpoints(IEnumerable<IFlowStatusSource> sources)
{
    [Function("GetFlow")]
    public async Task<IResult> Get([HttpTrigger(AuthorizationLevel.Function, "get", Route = "flows/{storeId}/{flowId}")] HttpRequest request, string storeId, string flowId,
        [DurableClient] DurableTaskClient client)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var view = await FindAsync(client, storeId, flowId, cancellationToken);
        foreach (var source in sources) view = await source.FindAsync(storeId, flowId, view, cancellationToken) ?? view;
        return view is null ? Results.NotFound() : Results.Ok(view);
    }

    public static async Task<FlowView?> FindAsync(DurableTaskClient client, string storeId, string flowId, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(flowId, getInputsAndOutputs: false, cancellationToken);
        if (instance?.SerializedCustomStatus is null) return null;
        var progress = System.Text.Json.JsonSerializer.Deserialize<FlowProgress>(instance.SerializedCustomStatus, Runtime.Json.Options);
        // A flow id names one store's flow: another store's id is simply not found.
        if (progress is null || progress.StoreId != storeId) return null;
        var state = instance.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Failed => FlowState.Failed,
            OrchestrationRuntimeStatus.Terminated => FlowState.Exited,
            _ => progress.State,
        };
        return new FlowView(storeId, flowId, progress.Flow, progress.Version, state.ToString(), instance.RuntimeStatus.ToString(), progress.Step, progress.NextDueAt,
            progress.StartedAt, instance.LastUpdatedAt, progress.EndedAt ?? (instance.IsCompleted ? instance.LastUpdatedAt : null),
            progress.EndReason ?? (instance.RuntimeStatus == OrchestrationRuntimeStatus.Failed ? instance.FailureDetails?.ErrorMessage : null), progress.History);
    }
}
