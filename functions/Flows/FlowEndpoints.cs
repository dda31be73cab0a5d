using Microsoft.Azure.Functions.Worker;

namespace Automation.Flows;

/// <summary><c>GET /api/flows/{storeId}/{flowId}</c> (admin key): a flow's status and history, so an operator can see why a message was or was not sent.</summary>
public sealed class FlowEndpoints(FlowEngine engine)
{
    [Function("GetFlow")]
    public async Task<IResult> Get([HttpTrigger(AuthorizationLevel.Function, "get", Route = "flows/{storeId}/{flowId}")] HttpRequest request, string storeId, string flowId)
    {
        var flow = await engine.GetAsync(storeId, flowId, request.HttpContext.RequestAborted);
        return flow is null ? Results.NotFound() : Results.Ok(FlowsRegistration.Describe(flow));
    }
}
