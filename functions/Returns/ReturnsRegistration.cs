using Automation.Hosting;
using Automation.Returns.Labels;
using Automation.Storage;
using Automation.Stores;

namespace Automation.Returns;

public static class ReturnsRegistration
{
    public static IServiceCollection AddReturns(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ReturnsOptions>().Bind(configuration.GetSection(ReturnsOptions.Section)).ValidateDataAnnotations().ValidateOnStart();

        // Read and validated at start: a broken rule stops the app with a message naming the setting.
        services.AddSingleton(sp => ReturnPolicies.FromConfiguration(configuration, sp.GetRequiredService<StoreRegistry>()));
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<ReturnsOptions>, ValidatePolicies>();
        services.AddSingleton<ReturnCases>();
        services.AddSingleton<LabelStorage>();
        services.AddSingleton<ICarrierLabelProvider, BuiltInLabelProvider>();
        services.AddSingleton<CarrierLabels>();
        services.AddSingleton<IReturnsPlatform, ShopifyReturns>();
        services.AddSingleton<IReturnsPlatform, WooCommerceReturns>();
        services.AddSingleton<ReturnsPlatforms>();
        services.AddSingleton<ReturnHandler>();

        services.AddQueueFunction<HandleReturnEvent>(configuration, QueueNames.ReturnEvents);
        services.AddQueueFunction<CarryOutReturnDecision>(configuration, ReturnQueues.Actions);
        return services;
    }

    public static IEndpointRouteBuilder MapReturns(this IEndpointRouteBuilder app)
    {
        SelfServiceReturns.Map(app);
        ReviewReturns.Map(app);
        return app;
    }

    /// <summary>Builds the policies during start-up validation, and checks every store's carrier is registered.</summary>
    private sealed class ValidatePolicies(IServiceProvider services) : Microsoft.Extensions.Options.IValidateOptions<ReturnsOptions>
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, ReturnsOptions options)
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
                return errors.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(errors);
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException ex)
            {
                return Microsoft.Extensions.Options.ValidateOptionsResult.Fail(ex.Failures);
            }
        }
    }
}
