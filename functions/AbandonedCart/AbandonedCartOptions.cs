using Automation.Stores;
using Microsoft.Extensions.Options;

namespace Automation.AbandonedCart;

/// <summary>
/// Abandoned-checkout recovery settings: <c>AbandonedCart:*</c> for the deployment, overridable per store under
/// <c>Stores:{id}:AbandonedCart:*</c>. A flow copies what it needs when it starts, so changes affect new flows only.
/// </summary>
public sealed class AbandonedCartOptions
{
    public const string Section = "AbandonedCart";

    public bool Enabled { get; set; } = true;

    /// <summary>Wait between the checkout and the reminder.</summary>
    public TimeSpan ReminderDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Wait between the reminder and the coupon.</summary>
    public TimeSpan CouponDelay { get; set; } = TimeSpan.FromHours(24);

    public bool SendCoupon { get; set; } = true;

    /// <summary>Percentage off, 1 to 100.</summary>
    public decimal CouponPercent { get; set; } = 10m;

    public TimeSpan CouponValidity { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Start of the coupon code; the rest is derived from the flow id (so a retry finds its own code).</summary>
    public string CouponPrefix { get; set; } = "BACK";

    /// <summary>No new recovery flow for a customer within this long of the last one's start.</summary>
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Quiet hours in the store's time zone (start == end: none). A message due inside them waits for the end.</summary>
    public TimeSpan QuietHoursStart { get; set; } = TimeSpan.FromHours(21);
    public TimeSpan QuietHoursEnd { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Email only buyers who accepted marketing at checkout.</summary>
    public bool RequireMarketingConsent { get; set; } = true;

    /// <summary>Ask the platform, before each message, whether the items are still available.</summary>
    public bool CheckStock { get; set; } = true;

    /// <summary>An order within this long of a recovery message counts as recovered by it.</summary>
    public TimeSpan AttributionWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Where this app is reachable from the customer's mail client (for unsubscribe links).</summary>
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:7071";

    /// <summary>Key for unsubscribe tokens. Unset: derived from the AzureWebJobsStorage connection string (stable and secret per deployment); required with identity-based storage.</summary>
    public string? UnsubscribeSecret { get; set; }

    /// <summary>Superseded by <c>Branding:StoreName</c>, which falls back to this when unset.</summary>
    public string? StoreName { get; set; }

    /// <summary>
    /// Single parts of the two emails as Liquid (the built-in ones are <c>Templates/abandoned-cart-*.liquid</c>); a
    /// store's blob override (see Email in the README) wins over these.
    /// </summary>
    public RecoveryTemplates Templates { get; set; } = new();

    public IEnumerable<string> Validate(string where)
    {
        if (ReminderDelay < TimeSpan.Zero) yield return $"{where}:ReminderDelay must not be negative.";
        if (CouponDelay < TimeSpan.Zero) yield return $"{where}:CouponDelay must not be negative.";
        if (CouponPercent is <= 0 or > 100) yield return $"{where}:CouponPercent must be more than 0 and at most 100.";
        if (CouponValidity <= TimeSpan.Zero) yield return $"{where}:CouponValidity must be positive.";
        if (string.IsNullOrWhiteSpace(CouponPrefix) || !CouponPrefix.All(char.IsAsciiLetterOrDigit) || CouponPrefix.Length > 20) yield return $"{where}:CouponPrefix must be 1-20 letters or digits.";
        if (Cooldown < TimeSpan.Zero) yield return $"{where}:Cooldown must not be negative.";
        if (QuietHoursStart < TimeSpan.Zero || QuietHoursStart >= TimeSpan.FromDays(1) || QuietHoursEnd < TimeSpan.Zero || QuietHoursEnd >= TimeSpan.FromDays(1))
            yield return $"{where}:QuietHoursStart and QuietHoursEnd are times of day (00:00:00 to 23:59:59).";
        if (!Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) yield return $"{where}:PublicBaseUrl must be an absolute http(s) URL.";
        foreach (var (name, source) in Templates.All())
        {
            if (source is not null && Email.EmailLiquid.ParsePart($"{where}:Templates:{name}", source).Error is { } error)
                yield return $"{where}:Templates:{name} is not a valid template: {error}";
        }
    }
}

/// <summary>Per-store email templates (Liquid). Subjects are templates too.</summary>
public sealed class RecoveryTemplates
{
    public string? ReminderSubject { get; set; }
    public string? ReminderHtml { get; set; }
    public string? ReminderText { get; set; }
    public string? CouponSubject { get; set; }
    public string? CouponHtml { get; set; }
    public string? CouponText { get; set; }

    public IEnumerable<(string Name, string? Source)> All() =>
    [
        (nameof(ReminderSubject), ReminderSubject), (nameof(ReminderHtml), ReminderHtml), (nameof(ReminderText), ReminderText),
        (nameof(CouponSubject), CouponSubject), (nameof(CouponHtml), CouponHtml), (nameof(CouponText), CouponText),
    ];
}

/// <summary>Resolves a store's settings: the store's own section over the deployment's.</summary>
public sealed class AbandonedCartSettings(IConfiguration configuration)
{
    private readonly StoreSettings<AbandonedCartOptions> _settings = new(configuration, AbandonedCartOptions.Section);

    public AbandonedCartOptions For(string storeId) => _settings.For(storeId);

    internal sealed class Validator(IConfiguration configuration) : IValidateOptions<AbandonedCartOptions>
    {
        public ValidateOptionsResult Validate(string? name, AbandonedCartOptions options)
        {
            var errors = options.Validate(AbandonedCartOptions.Section).ToList();
            var settings = new AbandonedCartSettings(configuration);
            foreach (var store in configuration.GetSection("Stores").GetChildren())
            {
                if (store.GetSection(AbandonedCartOptions.Section).Exists())
                    errors.AddRange(settings.For(store.Key).Validate($"Stores:{store.Key}:{AbandonedCartOptions.Section}"));
            }

            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
