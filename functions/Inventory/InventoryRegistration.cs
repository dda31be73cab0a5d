using Automation.Stores;
using Automation.Runtime;
using Automation.Storage;

namespace Automation.Inventory;

public static class InventoryRegistration
{
    /// <summary>The inventory view and its consumer on <c>inventory-events</c>; the stock automations plug in as <see cref="IStockTransitionHandler"/>s.</summary>
    public static IServiceCollection AddInventory(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddStoreSettings<InventoryOptions>(configuration, InventoryOptions.Section, (o, where) => o.Validate(where));
        services.AddSingleton<InventoryView>();
        services.AddSingleton<SalesHistory>();
        services.AddScoped<InvocationDurableClient>();
        services.AddTransient<IStorefront, PlatformStorefront>();
        return services;
    }
}
