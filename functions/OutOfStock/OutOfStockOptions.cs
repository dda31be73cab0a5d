namespace Automation.OutOfStock;

/// <summary><c>OutOfStock:*</c>, overridable per store under <c>Stores:{id}:OutOfStock:*</c>. Everything that changes the storefront is off until the store chooses it.</summary>
public sealed class OutOfStockOptions
{
    public const string Section = "OutOfStock";

    /// <summary>
    /// Stop selling sold-out variants that are set to sell when out of stock (Shopify <c>inventoryPolicy: DENY</c>,
    /// WooCommerce <c>backorders: no</c> / <c>stock_status: outofstock</c>). Off: such variants are left as the merchant
    /// configured them (they keep selling, are not tagged, and never make their product count as sold out).
    /// </summary>
    public bool StopSellingBackorderable { get; set; }

    /// <summary>When every variant of a product is sold out, take it off the storefront (Shopify: DRAFT; WooCommerce: catalog_visibility hidden).</summary>
    public bool HideWhenAllSoldOut { get; set; }

    /// <summary>Tag put on a sold-out product; empty: none.</summary>
    public string Tag { get; set; } = "sold out";

    /// <summary>Who is told to pause (and later resume) ads for a sold-out variant.</summary>
    public List<string> MarketingContacts { get; set; } = [];

    public IEnumerable<string> Validate(string where)
    {
        foreach (var contact in MarketingContacts.Where(c => !System.Net.Mail.MailAddress.TryCreate(c, out _)))
            yield return $"{where}:MarketingContacts: '{contact}' is not an email address.";
    }
}
