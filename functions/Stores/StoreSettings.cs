using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Automation.Stores;

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
        services.AddSingleton<IValidateOptions<TOptions>>(sp => new StoreSettingsValidator<TOptions>(sp.GetRequiredService<StoreSettings<TOptions>>(), sp.GetRequiredService<StoreRegistry>(), section, validate));
        return services;
    }

    private sealed class StoreSettingsValidator<TOptions>(StoreSettings<TOptions> settings, StoreRegistry stores, string section, Func<TOptions, string, IEnumerable<string>> validate)
        : IValidateOptions<TOptions> where TOptions : class, new()
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
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

            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
