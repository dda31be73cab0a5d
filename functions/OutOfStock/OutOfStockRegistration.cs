using Automation.Stores;
using Automation.Inventory;

namespace Automation.OutOfStock;

public static class OutOfStockRegistration
{
    public static IServiceCollection AddOutOfStock(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddStoreSettings<OutOfStockOptions>(configuration, OutOfStockOptions.Section, (o, where) => o.Validate(where));
        services.AddSingleton<SoldOutEpisodes>();
        services.AddScoped<IStockTransitionHandler, ActOnSoldOut>();
        return services;
    }
}
