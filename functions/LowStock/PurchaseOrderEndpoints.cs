using Microsoft.Azure.Functions.Worker;

namespace Automation.LowStock;

/// <summary>Operator endpoints for purchase orders (admin key): list the open ones, read one, mark one received or cancelled.</summary>
public sealed class PurchaseOrderEndpoints(PurchaseOrders purchaseOrders)
{
    private const string Route = "stores/{storeId}/purchase-orders";

    [Function("ListPurchaseOrders")]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Function, "get", Route = Route)] HttpRequest request, string storeId)
    {
        var open = new List<PurchaseOrder>();
        await foreach (var order in purchaseOrders.OpenAsync(storeId, request.HttpContext.RequestAborted)) open.Add(order);
        return Results.Ok(open);
    }

    [Function("GetPurchaseOrder")]
    public async Task<IResult> Get([HttpTrigger(AuthorizationLevel.Function, "get", Route = Route + "/{poId}")] HttpRequest request, string storeId, string poId) =>
        await purchaseOrders.GetAsync(storeId, poId, request.HttpContext.RequestAborted) is { } order ? Results.Ok(order) : Results.NotFound();

    [Function("MarkPurchaseOrderReceived")]
    public Task<IResult> Received([HttpTrigger(AuthorizationLevel.Function, "post", Route = Route + "/{poId}/received")] HttpRequest request, string storeId, string poId) =>
        CloseAsync(storeId, poId, "Received", request.HttpContext.RequestAborted);

    [Function("MarkPurchaseOrderCancelled")]
    public Task<IResult> Cancelled([HttpTrigger(AuthorizationLevel.Function, "post", Route = Route + "/{poId}/cancelled")] HttpRequest request, string storeId, string poId) =>
        CloseAsync(storeId, poId, "Cancelled", request.HttpContext.RequestAborted);

    private async Task<IResult> CloseAsync(string storeId, string poId, string status, CancellationToken cancellationToken)
    {
        var order = await purchaseOrders.CloseAsync(storeId, poId, status, cancellationToken);
        if (order is null) return Results.NotFound(new { error = $"No purchase order '{poId}' for store '{storeId}'." });
        return order.Status == status
            ? Results.Ok(order)
            : Results.Conflict(new { error = $"Purchase order {poId} is already {order.Status}.", order });
    }
}
