using Automation.Flows;
using Automation.Storage;
using Automation.Stores;
using Microsoft.Extensions.Options;

namespace Automation.AbandonedCart;

public static class AbandonedCartRegistration
{
    public static IServiceCollection AddAbandonedCart(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AbandonedCartOptions>().Bind(configuration.GetSection(AbandonedCartOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AbandonedCartOptions>>(new AbandonedCartSettings.Validator(configuration));
        services.AddSingleton<AbandonedCartSettings>();
        services.AddSingleton<UnsubscribeTokens>();
        services.AddSingleton<ICheckoutStock, CheckoutStock>();
        services.AddSingleton<ICheckoutCoupons, CheckoutCoupons>();
        services.AddSingleton<RecoveryEmails>();
        services.AddSingleton<RecoveryRecheck>();
        services.AddSingleton<RecoveryCustomers>();
        services.AddSingleton<RecoveryOutcomes>();
        services.AddSingleton<CheckoutRecovery>();
        services.AddSingleton<RecoveryStats>();
        services.AddSingleton<IFlowStatusSource, RecoverySkips>();
        return services;
    }
}
