using Automation.AbandonedCart;
using Automation.Compliance;
using Automation.Effects;
using Automation.Email;
using Automation.Events;
using Automation.Flows;
using Automation.Inventory;
using Automation.LowStock;
using Automation.OutOfStock;
using Automation.Platforms;
using Automation.Restock;
using Automation.Returns;
using Automation.Runtime;
using Automation.Storage;
using Automation.Stores;
using Automation.Webhooks;
using Azure.Core.Serialization;
using Microsoft.Azure.Functions.Worker;

namespace Automation;

/// <summary>The whole app in one call: shared plumbing, then each area registers itself with one <c>AddX()</c>.</summary>
public static class AutomationExtensions
{
    /// <summary>
    /// Used by <c>Program.cs</c> on Azure (<c>FunctionsApplication.CreateBuilder</c>) and by the local host, which
    /// stands in for that builder: the same services, options validation and middleware in both.
    /// </summary>
    public static TBuilder AddAutomation<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder, IFunctionsWorkerApplicationBuilder
    {
        var services = ((IHostApplicationBuilder)builder).Services;
        IConfiguration configuration = builder.Configuration;
        builder.Configuration.AddHostJsonDefaults();

        services.AddRuntime(configuration);
        services.AddTelemetry(configuration);
        services.AddStores(configuration);
        services.AddEmail(configuration);
        services.AddEmailTemplates([.. RecoveryEmails.Templates, .. WaitlistEmails.Templates, .. LowStockEmails.Templates, .. SoldOutEmails.Templates, .. ReturnEmails.Templates]);
        services.AddPlatformClients();
        services.AddWebhooks(configuration);
        services.AddCompliance(configuration);
        services.AddReturns(configuration);
        services.AddFlows(configuration);
        services.AddAbandonedCart(configuration);
        services.AddInventory(configuration);
        services.AddLowStock(configuration);
        services.AddOutOfStock(configuration);
        services.AddRestock(configuration);

        // Outermost first: one span per invocation (continuing the trace a queue message carries), storage outages
        // become 503s, operator endpoints need the admin key, queue failures carry their error to poison.
        builder.UseMiddleware<TelemetryMiddleware>();
        builder.UseMiddleware<StorageOutageMiddleware>();
        builder.UseMiddleware<AdminKeyMiddleware>();
        builder.UseMiddleware<QueueFailureMiddleware>();
        return builder;
    }

    private static IServiceCollection AddRuntime(this IServiceCollection services, IConfiguration configuration)
    {
        // WARNING: the worker's serializer is what Durable stores inputs, outputs and custom status with.
        services.Configure<WorkerOptions>(o => o.Serializer = new JsonObjectSerializer(Json.Options));
        services.ConfigureHttpJsonOptions(o =>
        {
            foreach (var converter in Json.Options.Converters) o.SerializerOptions.Converters.Add(converter);
            o.SerializerOptions.DefaultIgnoreCondition = Json.Options.DefaultIgnoreCondition;
        });
        services.AddOptions<PlaceholderSettings>().ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<PlaceholderSettings>, ValidatePlaceholderSettings>();
        services.AddOptions<HostQueuesOptions>().Bind(configuration.GetSection(HostQueuesOptions.Section));
        services.AddOptions<AdminOptions>().Bind(configuration.GetSection(AdminOptions.Section));
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<StorageClientsOptions>();
        services.AddSingleton<StorageOperationCounter>();
        services.AddSingleton<StorageClients>();
        services.AddSingleton<EventPublisher>();
        services.AddOptions<EffectOptions>().Bind(configuration.GetSection(EffectOptions.Section)).ValidateOnStart()
            .Validate(o => o.Lease >= TimeSpan.FromSeconds(1), "Effects:Lease must be at least one second.");
        services.AddSingleton<EffectLedger>();
        return services;
    }

    private static IServiceCollection AddStores(this IServiceCollection services, IConfiguration configuration)
    {
        // Validated here, at start: a misconfigured store stops the app with a message naming the setting.
        services.AddSingleton(StoreRegistry.FromConfiguration(configuration));
        return services;
    }
}
