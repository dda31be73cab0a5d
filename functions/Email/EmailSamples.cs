using Automation.Stores;

namespace Automation.Email;

/// <summary>What the preview's sample data shares: addresses that look like the store's own, dates near today.</summary>
public static class EmailSamples
{
    /// <summary>Where the app's own links (unsubscribe) point in a preview.</summary>
    public const string AppBaseUrl = "https://automation.example.com";

    /// <summary>The storefront: the shop's domain (Shopify) or the site (WooCommerce) the store's webhooks come from.</summary>
    public static string Storefront(Store store)
    {
        var source = store.WebhookSource;
        var colon = source.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? "https://shop.example.com" : "https://" + source[(colon + 1)..].TrimEnd('/');
    }

    /// <summary>A product page on the store's platform.</summary>
    public static string ProductUrl(Store store, string handle, long productId) => store.Platform == Platform.Shopify
        ? $"{Storefront(store)}/products/{handle}"
        : $"{Storefront(store)}/product/{handle}/";

    /// <summary>Today at noon in the store's time zone, plus <paramref name="days"/>.</summary>
    public static DateTimeOffset Day(Store store, int days)
    {
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, store.TimeZone).Date.AddDays(days).AddHours(12);
        return new DateTimeOffset(local, store.TimeZone.GetUtcOffset(local));
    }
}
