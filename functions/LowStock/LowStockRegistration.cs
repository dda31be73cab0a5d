using Automation.Stores;
using Automation.Admin;
using Automation.Hosting;
using Automation.Inventory;

namespace Automation.LowStock;

public static class LowStockRegistration
{
    public const string SupplierOrdersQueue = "supplier-orders";

    public static IServiceCollection AddLowStock(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddStoreSettings<LowStockOptions>(configuration, LowStockOptions.Section, (o, where) => o.Validate(where));
        services.AddSingleton<PurchaseOrders>();
        services.AddScoped<IStockTransitionHandler, ActOnLowStock>();
        services.AddHttpClient(nameof(ActOnLowStock), c => c.Timeout = TimeSpan.FromSeconds(15));
        services.AddQueueFunction<SendSupplierOrder>(configuration, SupplierOrdersQueue);
        services.AddTimerFunction<SendLowStockDigest>(configuration, SendLowStockDigest.Schedule);
        return services;
    }

    /// <summary>Operator endpoints for purchase orders (admin key required).</summary>
    public static IEndpointRouteBuilder MapLowStock(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/api/stores/{storeId}/purchase-orders").AddEndpointFilter(AdminEndpoints.RequireAdminKey);
        orders.MapGet("/", async (string storeId, PurchaseOrders purchaseOrders, CancellationToken ct) =>
        {
            var open = new List<PurchaseOrder>();
            await foreach (var order in purchaseOrders.OpenAsync(storeId, ct)) open.Add(order);
            return Results.Ok(open);
        });
        orders.MapGet("/{poId}", async (string storeId, string poId, PurchaseOrders purchaseOrders, CancellationToken ct) =>
            await purchaseOrders.GetAsync(storeId, poId, ct) is { } order ? Results.Ok(order) : Results.NotFound());
        orders.MapPost("/{poId}/received", (string storeId, string poId, PurchaseOrders purchaseOrders, CancellationToken ct) => CloseAsync(storeId, poId, "Received", purchaseOrders, ct));
        orders.MapPost("/{poId}/cancelled", (string storeId, string poId, PurchaseOrders purchaseOrders, CancellationToken ct) => CloseAsync(storeId, poId, "Cancelled", purchaseOrders, ct));
        return app;
    }

    private static async Task<IResult> CloseAsync(string storeId, string poId, string status, PurchaseOrders purchaseOrders, CancellationToken cancellationToken)
    {
        var order = await purchaseOrders.CloseAsync(storeId, poId, status, cancellationToken);
        if (order is null) return Results.NotFound(new { error = $"No purchase order '{poId}' for store '{storeId}'." });
        return order.Status == status
            ? Results.Ok(order)
            : Results.Conflict(new { error = $"Purchase order {poId} is already {order.Status}.", order });
    }
}
