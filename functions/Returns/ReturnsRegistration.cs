using Automation.Returns.Activities;
using Automation.Runtime;
using Automation.Returns.Labels;
using Automation.Storage;
using Automation.Stores;
using Microsoft.Extensions.Options;

namespace Automation.Returns;

public static class ReturnsRegistration
{
    public static IServiceCollection AddReturns(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ReturnsOptions>().Bind(configuration.GetSection(ReturnsOptions.Section)).ValidateDataAnnotations().ValidateOnStart();

        // Read and validated at start: a broken rule stops the app with a message naming the setting.
        services.AddSingleton(sp => ReturnPolicies.FromConfiguration(configuration, sp.GetRequiredService<StoreRegistry>()));
        services.AddSingleton<IValidateOptions<ReturnsOptions>, ValidatePolicies>();
        services.AddSingleton<ReturnCases>();
        services.AddSingleton<LabelStorage>();
        services.AddSingleton<ICarrierLabelProvider, BuiltInLabelProvider>();
        services.AddSingleton<CarrierLabels>();
        services.AddSingleton<ShopifyReturns>();
        services.AddSingleton<WooCommerceReturns>();
        services.AddSingleton<IReturnsPlatform>(sp => sp.GetRequiredService<ShopifyReturns>());
        services.AddSingleton<IReturnsPlatform>(sp => sp.GetRequiredService<WooCommerceReturns>());
        services.AddSingleton<ReturnsPlatforms>();
        services.AddSingleton<ReturnHandler>();

        // The steps of the CarryOutReturnV1 orchestration.
        services.AddSingleton<ReturnLabels>();
        services.AddSingleton<ExchangeShippingCodes>();
        services.AddSingleton<ReturnStepRunner>();

        return services;
    }

    /// <summary>Builds the policies during start-up validation, and checks every store's carrier is registered.</summary>
    private sealed class ValidatePolicies(IServiceProvider services) : IValidateOptions<ReturnsOptions>
    {
        public ValidateOptionsResult Validate(string? name, ReturnsOptions options)
        {
            try
            {
                var policies = services.GetRequiredService<ReturnPolicies>();
                var carriers = services.GetRequiredService<CarrierLabels>();
                var stores = services.GetRequiredService<StoreRegistry>();
                var errors = stores.All
                    .Select(s => (s.Id, Policy: policies.For(s.Id)))
                    .Where(x => x.Policy is not null && !carriers.Has(x.Policy.Carrier))
                    .Select(x => $"Stores:{x.Id}:Returns:Carrier '{x.Policy!.Carrier}' is not a registered carrier.")
                    .ToList();
                return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
            }
            catch (OptionsValidationException ex)
            {
                return ValidateOptionsResult.Fail(ex.Failures);
            }
        }
    }
}
