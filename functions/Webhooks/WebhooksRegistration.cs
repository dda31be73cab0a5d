using Automation.Shopify;
using Automation.Storage;

namespace Automation.Webhooks;

public static class WebhooksRegistration
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WebhookIntake>();
        services.AddSingleton<DeliveryLog>();
        services.AddSingleton<ResourceVersions>();
        services.AddSingleton<InventoryItemMap>();

        return services;
    }
}
