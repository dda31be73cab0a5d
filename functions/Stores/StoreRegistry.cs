using System.Collections.Frozen;
using System.Text;
using System.Text.RegularExpressions;
using Automation.Runtime;
using Microsoft.Extensions.Options;

namespace Automation.Stores;

/// <summary>
/// The deployment's stores, validated at start. Looks a delivery's store up by the header the platform sends,
/// so one store's secret never authenticates another store's delivery.
/// </summary>
public sealed partial class StoreRegistry
{
    private readonly FrozenDictionary<string, Store> _byId;
    private readonly FrozenDictionary<string, Store> _bySource;

    public StoreRegistry(IReadOnlyDictionary<string, StoreOptions> stores)
    {
        var errors = new List<string>();
        var list = new List<Store>();
        foreach (var (id, options) in stores.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            if (TryCreate(id, options, errors) is { } store) list.Add(store);
        }

        foreach (var duplicate in list.GroupBy(s => s.WebhookSource).Where(g => g.Count() > 1))
        {
            errors.Add($"Stores {string.Join(" and ", duplicate.Select(s => s.Id))} share the webhook source '{duplicate.Key}'; each store needs its own.");
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException("Stores", typeof(StoreOptions), errors);
        }

        All = list;
        _byId = list.ToFrozenDictionary(s => s.Id, StringComparer.Ordinal);
        _bySource = list.GroupBy(s => s.WebhookSource).ToFrozenDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }

    public IReadOnlyList<Store> All { get; }

    public Store? Find(string id) => _byId.GetValueOrDefault(id);

    public Store Get(string id) => Find(id) ?? throw new KeyNotFoundException($"No store '{id}' is configured.");

    /// <summary>Finds the store a delivery says it comes from, on the platform whose endpoint it reached.</summary>
    public Store? FindBySource(Platform platform, string? source)
    {
        if (string.IsNullOrWhiteSpace(source)) return null;
        var key = NormalizeSource(platform, source);
        return key is not null && _bySource.TryGetValue(key, out var store) && store.Platform == platform ? store : null;
    }

    internal static string? NormalizeSource(Platform platform, string value)
    {
        value = value.Trim();
        if (platform == Platform.Shopify)
        {
            return value.Length > 0 && HostName().IsMatch(value) ? "shopify:" + value.ToLowerInvariant() : null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return null;
        return "woocommerce:" + uri.Host.ToLowerInvariant() + (uri.IsDefaultPort ? "" : ":" + uri.Port) + uri.AbsolutePath.TrimEnd('/');
    }

    private static Store? TryCreate(string id, StoreOptions options, List<string> errors)
    {
        var before = errors.Count;
        void Error(string message) => errors.Add($"Stores:{id}: {message}");

        if (!StoreId().IsMatch(id)) Error("the store id must be 1-40 characters of lowercase letters, digits and hyphens.");
        if (options.Platform is null) Error("Platform is required (Shopify or WooCommerce).");
        if (string.IsNullOrWhiteSpace(options.WebhookSecret)) Error("WebhookSecret is required: deliveries cannot be authenticated without it.");
        foreach (var problem in SecretRules.Check("WebhookSecret", options.WebhookSecret, WebhookSecretAdvice).Concat(SecretRules.Check("PreviousWebhookSecret", options.PreviousWebhookSecret, WebhookSecretAdvice)))
            Error(problem);

        string? source = null;
        if (options.Platform == Platform.Shopify)
        {
            source = options.ShopDomain is null ? null : NormalizeSource(Platform.Shopify, options.ShopDomain);
            if (source is null) Error("ShopDomain is required for Shopify, as a host name like 'my-shop.myshopify.com'.");
            if (options.AdminApiBaseUrl is not null && string.IsNullOrWhiteSpace(options.AccessToken)) Error("AccessToken is required when AdminApiBaseUrl is set.");
        }
        else if (options.Platform == Platform.WooCommerce)
        {
            source = options.SiteUrl is null ? null : NormalizeSource(Platform.WooCommerce, options.SiteUrl);
            if (source is null) Error("SiteUrl is required for WooCommerce, as an absolute http(s) URL like 'https://shop.example.com/'.");
            if (options.AdminApiBaseUrl is not null && (string.IsNullOrWhiteSpace(options.ConsumerKey) || string.IsNullOrWhiteSpace(options.ConsumerSecret)))
                Error("ConsumerKey and ConsumerSecret are required when AdminApiBaseUrl is set.");
        }

        Uri? adminApi = null;
        if (options.AdminApiBaseUrl is not null && (!Uri.TryCreate(options.AdminApiBaseUrl, UriKind.Absolute, out adminApi) || adminApi.Scheme is not ("http" or "https")))
            Error($"AdminApiBaseUrl '{options.AdminApiBaseUrl}' is not an absolute http(s) URL.");

        TimeZoneInfo? zone = null;
        try { zone = TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone); }
        catch (TimeZoneNotFoundException) { Error($"TimeZone '{options.TimeZone}' is not a known time zone (use an IANA name like 'Europe/Amsterdam')."); }
        catch (InvalidTimeZoneException) { Error($"TimeZone '{options.TimeZone}' is invalid on this machine."); }

        if (!Currency().IsMatch(options.Currency)) Error($"Currency '{options.Currency}' is not a three-letter ISO 4217 code.");

        if (errors.Count > before) return null;

        var secrets = new[] { options.WebhookSecret, options.PreviousWebhookSecret }
            .Where(s => !string.IsNullOrEmpty(s))
            .Select(s => Encoding.UTF8.GetBytes(s!))
            .ToArray();
        return new Store(id, options.Platform!.Value, source!, secrets, adminApi, options.AccessToken, options.ConsumerKey, options.ConsumerSecret, zone!, options.Currency.ToUpperInvariant(), options.AutomationsEnabled);
    }

    /// <summary>Where a good webhook secret comes from (see <see cref="SecretRules"/> for the rules).</summary>
    private const string WebhookSecretAdvice =
        "use the one the platform signs with: Shopify's app client secret, or in WooCommerce leave the webhook's Secret empty in the admin so it makes a 50-character one (or give it one from `openssl rand -base64 32`)";

    public static StoreRegistry FromConfiguration(IConfiguration configuration)
    {
        var stores = new Dictionary<string, StoreOptions>(StringComparer.Ordinal);
        foreach (var section in configuration.GetSection("Stores").GetChildren())
        {
            var options = new StoreOptions();
            try
            {
                section.Bind(options);
            }
            catch (InvalidOperationException ex)
            {
                throw new OptionsValidationException("Stores", typeof(StoreOptions), [$"Stores:{section.Key}: {ex.Message}"]);
            }

            stores[section.Key] = options;
        }

        return new StoreRegistry(stores);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    private static partial Regex StoreId();

    [GeneratedRegex("^[A-Za-z]{3}$")]
    private static partial Regex Currency();

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$")]
    private static partial Regex HostName();
}
