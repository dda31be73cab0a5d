using Automation.Stores;
using Automation.Inventory;
using Automation.LowStock;

namespace Automation.Restock;

public static class RestockRegistration
{
    public static IServiceCollection AddRestock(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddStoreSettings<RestockOptions>(configuration, RestockOptions.Section, (o, where) => o.Validate(where));
        services.AddSingleton<Waitlist>();
        services.AddSingleton<IWaitlistDemand>(sp => sp.GetRequiredService<Waitlist>());
        services.AddSingleton<ICustomerDataEraser>(sp => sp.GetRequiredService<Waitlist>());
        services.AddSingleton<SignupRateLimiter>();
        services.AddScoped<IStockTransitionHandler, ActOnBackInStock>();
        return services;
    }
}
