using Automation.AbandonedCart;
using Automation.Compliance;
using Automation.Effects;
using Automation.Inventory;
using Automation.LowStock;
using Automation.OutOfStock;
using Automation.Restock;
using Automation.Returns;
using Automation.Webhooks;

namespace Automation.Retention;

public static class RetentionRegistration
{
    /// <summary>
    /// What the app keeps for a limited time, in one place (the README's "Retention and erasure" table has the same rows).
    /// Each is purged daily by <see cref="PurgeExpiredData"/>; ended flows by <see cref="PurgeEndedFlows"/>. The catalogue's
    /// own tables (InventoryLevels, InventoryItems: one row per variant) are bounded by the catalogue and go with the store.
    /// </summary>
    public static IServiceCollection AddRetention(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RetentionOptions>().Bind(configuration.GetSection(RetentionOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RetentionPurges>();
        services.AddSingleton<IRetentionPurge>(sp => sp.GetRequiredService<DeliveryLog>());
        services.AddSingleton<IRetentionPurge>(sp => sp.GetRequiredService<ResourceVersions>());
        services.AddSingleton<IRetentionPurge>(sp => sp.GetRequiredService<EffectLedger>());
        services.AddSingleton<IRetentionPurge>(sp => sp.GetRequiredService<ComplianceRecords>());
        services.AddSingleton<IRetentionPurge>(sp => sp.GetRequiredService<RecoveryCustomers>());
        services.AddSingleton<IRetentionPurge>(sp => sp.GetRequiredService<RecoveryOutcomes>());
        services.AddSingleton<IRetentionPurge>(sp => sp.GetRequiredService<Waitlist>());
        services.AddSingleton<IRetentionPurge>(sp => sp.GetRequiredService<ReturnErasure>());
        services.AddSingleton<IRetentionPurge>(sp => sp.GetRequiredService<SalesHistory>());
        services.AddSingleton<IRetentionPurge>(sp => sp.GetRequiredService<SoldOutEpisodes>());
        services.AddSingleton<IRetentionPurge>(sp => sp.GetRequiredService<PurchaseOrders>());
        return services;
    }
}
