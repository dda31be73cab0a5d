using System.Collections.Concurrent;

namespace Automation.Inventory;

/// <summary><c>Inventory:*</c>, overridable per store under <c>Stores:{id}:Inventory:*</c>.</summary>
public sealed class InventoryOptions
{
    public const string Section = "Inventory";

    /// <summary>Low stock at or below this many units, unless the SKU or the product (Woo <c>low_stock_amount</c>) says otherwise.</summary>
    public int DefaultLowStockThreshold { get; set; } = 5;

    /// <summary>Per-SKU thresholds; they win over the platform's own <c>low_stock_amount</c>.</summary>
    public Dictionary<string, int> SkuThresholds { get; set; } = [];

    /// <summary>Locations whose stock sells online (summed for "sold out" and low stock). Empty: all locations.</summary>
    public List<string> OnlineLocations { get; set; } = [];

    /// <summary>Optional per-location thresholds: low stock is then also reported for that location on its own.</summary>
    public Dictionary<string, int> LocationThresholds { get; set; } = [];

    /// <summary>Sales velocity is the average over this window of recent orders.</summary>
    public TimeSpan VelocityWindow { get; set; } = TimeSpan.FromDays(28);

    public IEnumerable<string> Validate(string where)
    {
        if (DefaultLowStockThreshold < -1) yield return $"{where}:DefaultLowStockThreshold must be -1 (off) or more.";
        if (VelocityWindow < TimeSpan.FromDays(1) || VelocityWindow > TimeSpan.FromDays(366)) yield return $"{where}:VelocityWindow must be 1 to 366 days.";
    }
}

/// <summary>
/// An area's options for one store: the deployment's section with the store's own section (<c>Stores:{id}:{Section}</c>)
/// bound over it. Resolved once per store and kept (configuration is read at start).
/// </summary>
public sealed class StoreSettings<TOptions>(IConfiguration configuration, string section) where TOptions : new()
{
    private readonly ConcurrentDictionary<string, TOptions> _cache = new(StringComparer.Ordinal);

    public TOptions For(string storeId) => _cache.GetOrAdd(storeId, id =>
    {
        var options = new TOptions();
        configuration.GetSection(section).Bind(options);
        configuration.GetSection($"Stores:{id}:{section}").Bind(options);
        return options;
    });
}

public static class StoreSettingsRegistration
{
    /// <summary>
    /// Registers <see cref="StoreSettings{TOptions}"/> for a section and checks, at start, the deployment's options and
    /// every configured store's resolved options, so a bad setting stops the app with a message naming it.
    /// </summary>
    public static IServiceCollection AddStoreSettings<TOptions>(this IServiceCollection services, IConfiguration configuration, string section, Func<TOptions, string, IEnumerable<string>> validate)
        where TOptions : class, new()
    {
        services.AddSingleton(new StoreSettings<TOptions>(configuration, section));
        services.AddOptions<TOptions>().Bind(configuration.GetSection(section)).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<TOptions>>(sp => new StoreSettingsValidator<TOptions>(sp.GetRequiredService<StoreSettings<TOptions>>(), sp.GetRequiredService<Stores.StoreRegistry>(), section, validate));
        return services;
    }

    private sealed class StoreSettingsValidator<TOptions>(StoreSettings<TOptions> settings, Stores.StoreRegistry stores, string section, Func<TOptions, string, IEnumerable<string>> validate)
        : Microsoft.Extensions.Options.IValidateOptions<TOptions> where TOptions : class, new()
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, TOptions options)
        {
            var errors = validate(options, section).ToList();
            foreach (var store in stores.All)
            {
                try
                {
                    errors.AddRange(validate(settings.For(store.Id), $"Stores:{store.Id}:{section}"));
                }
                catch (InvalidOperationException ex)
                {
                    errors.Add($"Stores:{store.Id}:{section}: {ex.Message}");
                }
            }

            return errors.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(errors);
        }
    }
}
