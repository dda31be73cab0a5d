namespace Automation.LowStock;

/// <summary><c>LowStock:*</c>, overridable per store under <c>Stores:{id}:LowStock:*</c>.</summary>
public sealed class LowStockOptions
{
    public const string Section = "LowStock";

    /// <summary>Operations contacts who get the alert and the daily digest.</summary>
    public List<string> OpsContacts { get; set; } = [];

    /// <summary>Optional Slack-compatible incoming webhook (<c>POST {"text": …}</c>).</summary>
    public string? SlackWebhookUrl { get; set; }

    /// <summary>Tag put on the product while a variant is low, so the storefront can show a badge; empty: no tag.</summary>
    public string Tag { get; set; } = "low stock";

    /// <summary>How long a reorder should last once it arrives (on top of the supplier's lead time).</summary>
    public TimeSpan DaysOfCover { get; set; } = TimeSpan.FromDays(14);

    /// <summary>SKUs of one supplier that run low within this window go on one purchase order.</summary>
    public TimeSpan GroupingWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Local time of day (in the store's time zone) of the daily digest.</summary>
    public TimeSpan DigestTime { get; set; } = TimeSpan.FromHours(8);

    public bool DigestEnabled { get; set; } = true;

    public Dictionary<string, SupplierOptions> Suppliers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Which supplier reorders a SKU (key: the SKU).</summary>
    public Dictionary<string, SkuSupplyOptions> Skus { get; set; } = new(StringComparer.Ordinal);

    public IEnumerable<string> Validate(string where)
    {
        foreach (var contact in OpsContacts.Where(c => !System.Net.Mail.MailAddress.TryCreate(c, out _)))
            yield return $"{where}:OpsContacts: '{contact}' is not an email address.";
        if (SlackWebhookUrl is { Length: > 0 } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")))
            yield return $"{where}:SlackWebhookUrl must be an absolute http(s) URL.";
        if (DaysOfCover < TimeSpan.Zero) yield return $"{where}:DaysOfCover must not be negative.";
        if (GroupingWindow < TimeSpan.Zero || GroupingWindow > TimeSpan.FromDays(1)) yield return $"{where}:GroupingWindow must be between 0 and 1 day.";
        if (DigestTime < TimeSpan.Zero || DigestTime >= TimeSpan.FromDays(1)) yield return $"{where}:DigestTime must be a time of day (00:00 to 23:59).";
        foreach (var (id, supplier) in Suppliers)
        {
            if (!System.Net.Mail.MailAddress.TryCreate(supplier.Email, out _)) yield return $"{where}:Suppliers:{id}:Email is required and must be an email address.";
            if (supplier.LeadTime < TimeSpan.Zero) yield return $"{where}:Suppliers:{id}:LeadTime must not be negative.";
            if (supplier.MinimumOrderQuantity < 1) yield return $"{where}:Suppliers:{id}:MinimumOrderQuantity must be at least 1.";
            if (supplier.PackSize < 1) yield return $"{where}:Suppliers:{id}:PackSize must be at least 1.";
        }

        foreach (var (sku, supply) in Skus)
        {
            if (!Suppliers.ContainsKey(supply.Supplier)) yield return $"{where}:Skus:{sku}:Supplier '{supply.Supplier}' is not one of {where}:Suppliers.";
            if (supply.MinimumOrderQuantity is < 1) yield return $"{where}:Skus:{sku}:MinimumOrderQuantity must be at least 1.";
            if (supply.PackSize is < 1) yield return $"{where}:Skus:{sku}:PackSize must be at least 1.";
        }
    }
}

public sealed class SupplierOptions
{
    public string Name { get; set; } = "";
    public string Email { get; set; } = "";
    public TimeSpan LeadTime { get; set; } = TimeSpan.FromDays(7);
    public int MinimumOrderQuantity { get; set; } = 1;
    public int PackSize { get; set; } = 1;
}

/// <summary>A SKU's supplier, with its own minimum and pack size where they differ from the supplier's.</summary>
public sealed class SkuSupplyOptions
{
    public string Supplier { get; set; } = "";
    public int? MinimumOrderQuantity { get; set; }
    public int? PackSize { get; set; }
}

/// <summary>How many back-in-stock subscribers wait for a variant (the Restock area answers).</summary>
public interface IWaitlistDemand
{
    Task<int> WaitingAsync(string storeId, long variantId, CancellationToken cancellationToken);
}
