using System.ComponentModel.DataAnnotations;
using Automation.Stores;
using Microsoft.Extensions.Options;

namespace Automation.Returns;

/// <summary>Which date the return window is counted from.</summary>
public enum WindowStart
{
    Delivery,
    Fulfillment,
    Order,
}

/// <summary>A customer segment (by customer tag) with its own return fee, e.g. VIP returns free.</summary>
public sealed class FeeSegment
{
    public string Name { get; set; } = "";
    public string CustomerTag { get; set; } = "";
    public decimal Fee { get; set; }
}

public sealed class Warehouse
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string? Company { get; set; }
    public string Line1 { get; set; } = "";
    public string? Line2 { get; set; }
    public string City { get; set; } = "";
    public string? Province { get; set; }
    public string PostalCode { get; set; } = "";
    public string CountryCode { get; set; } = "";

    /// <summary>Where the "returns on the way" notice goes.</summary>
    public string? Email { get; set; }

    public PostalAddress Address => new(Name, Line1, Line2, City, Province, PostalCode, CountryCode.ToUpperInvariant(), Company);
}

/// <summary>Sends matching returns to a warehouse; a rule matches when every condition it names matches.</summary>
public sealed class RoutingRule
{
    public string Warehouse { get; set; } = "";
    public List<string> ProductTypes { get; set; } = [];
    public List<string> Countries { get; set; } = [];
    public List<string> Provinces { get; set; } = [];
}

/// <summary>
/// A store's return rules, as data: <c>Stores:{id}:Returns:*</c>. The defaults are the common policy (30 days from
/// fulfilment, "final-sale" tag, no fee, manual review above 500 or after 3 returns in 90 days).
/// </summary>
public sealed class ReturnPolicy
{
    public TimeSpan Window { get; set; } = TimeSpan.FromDays(30);
    public WindowStart WindowFrom { get; set; } = WindowStart.Fulfillment;

    /// <summary>
    /// Product tags that make an item final sale; default <c>final-sale</c>. Configuration cannot hold an empty list,
    /// so one empty entry (<c>FinalSaleTags:0 = ""</c>) turns the rule off.
    /// </summary>
    public List<string>? FinalSaleTags { get; set; }
    public List<string> FinalSaleProductTypes { get; set; } = [];

    /// <summary>Collection handles (Shopify) or category slugs (WooCommerce).</summary>
    public List<string> FinalSaleCollections { get; set; } = [];
    public bool DiscountedItemsAreFinalSale { get; set; }

    /// <summary>The fee for customers in no segment.</summary>
    public decimal HandlingFee { get; set; }

    /// <summary>Checked in order; the first segment whose tag the customer has sets the fee.</summary>
    public List<FeeSegment> Segments { get; set; } = [];
    public bool ExchangeWaivesFee { get; set; } = true;
    public bool ExchangeFreeShipping { get; set; } = true;

    /// <summary>How long the free-shipping code for an exchange's replacement order is valid.</summary>
    public TimeSpan ExchangeCodeLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Above this value of returned items, a person decides. Null turns it off.</summary>
    public decimal? ReviewAboveValue { get; set; } = 500m;

    /// <summary>A customer with this many returns in <see cref="RecentReturnsPeriod"/> goes to review. Null turns it off.</summary>
    public int? ReviewAfterReturns { get; set; } = 3;
    public TimeSpan RecentReturnsPeriod { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Below this value the customer keeps the items (shipping would cost more). Null (default) turns it off.</summary>
    public decimal? KeepItBelowValue { get; set; }

    /// <summary>Refund kept-it returns at once. Off by default: refunds are a person's decision.</summary>
    public bool RefundAutomatically { get; set; }

    /// <summary>WooCommerce: let an automatic refund go through the payment gateway (<c>api_refund=true</c>). Off by default.</summary>
    public bool WooCommerceApiRefund { get; set; }

    /// <summary>WooCommerce: make the order note a customer note, which WooCommerce emails to the customer.</summary>
    public bool WooCommerceCustomerNote { get; set; }

    /// <summary>Shopify: let Shopify email the customer too (<c>notifyCustomer</c>); our own email is always sent.</summary>
    public bool ShopifyNotifiesCustomer { get; set; }

    /// <summary>The carrier port that makes labels; <c>BuiltIn</c> is our own PDF label.</summary>
    public string Carrier { get; set; } = "BuiltIn";

    public List<Warehouse> Warehouses { get; set; } = [];
    public List<RoutingRule> Routing { get; set; } = [];

    public IReadOnlyList<string> EffectiveFinalSaleTags => FinalSaleTags is null ? ["final-sale"] : [.. FinalSaleTags.Where(t => !string.IsNullOrWhiteSpace(t))];

    public IEnumerable<string> Validate()
    {
        if (Window < TimeSpan.Zero) yield return "Window must not be negative.";
        if (ExchangeCodeLifetime <= TimeSpan.Zero) yield return "ExchangeCodeLifetime must be positive.";
        if (HandlingFee < 0) yield return "HandlingFee must not be negative.";
        foreach (var segment in Segments)
        {
            if (string.IsNullOrWhiteSpace(segment.CustomerTag)) yield return $"Segment '{segment.Name}' needs a CustomerTag.";
            if (segment.Fee < 0) yield return $"Segment '{segment.Name}' has a negative fee.";
        }

        foreach (var warehouse in Warehouses)
        {
            if (string.IsNullOrWhiteSpace(warehouse.Id)) yield return "Every warehouse needs an Id.";
            if (string.IsNullOrWhiteSpace(warehouse.Line1) || string.IsNullOrWhiteSpace(warehouse.City) || warehouse.CountryCode.Length != 2)
                yield return $"Warehouse '{warehouse.Id}' needs Line1, City and a two-letter CountryCode.";
        }

        foreach (var duplicate in Warehouses.GroupBy(w => w.Id, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            yield return $"Warehouse id '{duplicate.Key}' is used twice.";

        foreach (var rule in Routing.Where(r => !Warehouses.Any(w => string.Equals(w.Id, r.Warehouse, StringComparison.OrdinalIgnoreCase))))
            yield return $"Routing rule points at warehouse '{rule.Warehouse}', which is not in Warehouses.";
    }
}

/// <summary>Deployment-wide settings for returns: <c>Returns:*</c>.</summary>
public sealed class ReturnsOptions
{
    public const string Section = "Returns";

    /// <summary>How long the label link in the email works.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "365.00:00:00")]
    public TimeSpan LabelLinkLifetime { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>Every store's return policy, read and validated at start.</summary>
public sealed class ReturnPolicies
{
    private readonly Dictionary<string, ReturnPolicy> _byStore;

    public ReturnPolicies(IReadOnlyDictionary<string, ReturnPolicy> byStore) => _byStore = new(byStore, StringComparer.Ordinal);

    /// <summary>The store's policy, or null when returns are not set up there (no warehouse to send them to).</summary>
    public ReturnPolicy? For(string storeId) => _byStore.TryGetValue(storeId, out var policy) && policy.Warehouses.Count > 0 ? policy : null;

    public static ReturnPolicies FromConfiguration(IConfiguration configuration, StoreRegistry stores)
    {
        var errors = new List<string>();
        var policies = new Dictionary<string, ReturnPolicy>(StringComparer.Ordinal);
        foreach (var store in stores.All)
        {
            var policy = new ReturnPolicy();
            try
            {
                configuration.GetSection($"Stores:{store.Id}:Returns").Bind(policy);
            }
            catch (InvalidOperationException ex)
            {
                errors.Add($"Stores:{store.Id}:Returns: {ex.Message}");
                continue;
            }

            errors.AddRange(policy.Validate().Select(e => $"Stores:{store.Id}:Returns: {e}"));
            policies[store.Id] = policy;
        }

        if (errors.Count > 0) throw new OptionsValidationException("Returns", typeof(ReturnPolicy), errors);
        return new ReturnPolicies(policies);
    }
}
