namespace Automation.Stores;

public enum Platform
{
    Shopify,
    WooCommerce,
}

/// <summary>One connected store, from <c>Stores:{id}:…</c> (<c>Stores__{id}__…</c> in app settings).</summary>
public sealed class StoreOptions
{
    public Platform? Platform { get; set; }

    /// <summary>Shopify: the shop's <c>*.myshopify.com</c> domain, as sent in <c>X-Shopify-Shop-Domain</c>.</summary>
    public string? ShopDomain { get; set; }

    /// <summary>WooCommerce: the site URL, as sent in <c>X-WC-Webhook-Source</c> (<c>home_url('/')</c>).</summary>
    public string? SiteUrl { get; set; }

    public string? WebhookSecret { get; set; }

    /// <summary>During a rotation, deliveries may still be signed with the old secret for a while.</summary>
    public string? PreviousWebhookSecret { get; set; }

    /// <summary>Shopify: <c>https://{shop}/admin/api/{version}</c>; WooCommerce: <c>https://{site}/wp-json/wc/v3</c>.</summary>
    public string? AdminApiBaseUrl { get; set; }

    public string? AccessToken { get; set; }
    public string? ConsumerKey { get; set; }
    public string? ConsumerSecret { get; set; }
    public string TimeZone { get; set; } = "UTC";
    public string Currency { get; set; } = "USD";

    /// <summary>Master switch for the store's automations (webhooks are still received and kept).</summary>
    public bool AutomationsEnabled { get; set; } = true;
}

/// <summary>A validated store: what the rest of the app uses.</summary>
public sealed record Store(
    string Id,
    Platform Platform,
    string WebhookSource,
    IReadOnlyList<byte[]> WebhookSecrets,
    Uri? AdminApiBaseUrl,
    string? AccessToken,
    string? ConsumerKey,
    string? ConsumerSecret,
    TimeZoneInfo TimeZone,
    string Currency,
    bool AutomationsEnabled)
{
    public override string ToString() => $"{Id} ({Platform})";
}
