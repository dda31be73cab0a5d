using Automation.Stores;
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
        return services;
    }
}
