using Automation.Email;
using Automation.Stores;

namespace Automation.LowStock;

/// <summary>The low-stock emails: the alert to operations, the daily digest, and the purchase order to a supplier (<c>Templates/*.liquid</c>).</summary>
public static class LowStockEmails
{
    public const string Alert = "low-stock-alert";
    public const string Digest = "low-stock-digest";
    public const string PurchaseOrder = "supplier-purchase-order";

    public static IReadOnlyList<EmailTemplateDefinition> Templates =>
    [
        new(Alert, "To the operations contacts, when a product runs low: what is left and the threshold.", EmailAudience.Staff, AlertSample),
        new(Digest, "To the operations contacts, each morning: what is low or sold out, days of cover, open purchase orders.", EmailAudience.Staff, DigestSample),
        new(PurchaseOrder, "To a supplier: a purchase order for the SKUs that ran low (a CSV of the same lines is attached).", EmailAudience.Supplier, PurchaseOrderSample),
    ];

    /// <summary>The Slack-compatible webhook's one line (plain text; not an email).</summary>
    public static string SlackText(string storeId, LowStockAlertModel m) =>
        $"Low stock in {storeId}: {m.Name} (SKU {m.Sku}) has {m.Available} left{(m.Location is null ? "" : $" at {m.Location}")} (threshold {m.Threshold}).";

    private static EmailSample AlertSample(Store store) =>
        new(new LowStockAlertModel("Blue ceramic mug – 350 ml", "MUG-BLUE", 3, 5, null, EmailSamples.ProductUrl(store, "blue-ceramic-mug", 8_123_456_789)));

    private static EmailSample DigestSample(Store store) => new(new LowStockDigestModel(
        EmailSamples.Day(store, 0).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        [
            new LowStockDigestItem("Blue ceramic mug – 350 ml", "MUG-BLUE", 3, false, "1.5"),
            new LowStockDigestItem("Green tea, loose leaf 100 g", "TEA-GREEN-100", 0, true, "0"),
            new LowStockDigestItem("Linen shirt – M", "SHIRT-M", 4, false, "–"),
        ],
        [new LowStockDigestOrder("PO-20250304-7F3A91", "Acme Mugs", EmailSamples.Day(store, -1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), "MUG-BLUE × 48, MUG-GREEN × 24")]));

    private static EmailSample PurchaseOrderSample(Store store) => new(new PurchaseOrderEmailModel(
        "PO-20250304-7F3A91",
        "Acme Mugs",
        EmailSamples.Day(store, 0).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        [new PurchaseOrderEmailLine("MUG-BLUE", "Blue ceramic mug – 350 ml", 48), new PurchaseOrderEmailLine("MUG-GREEN", "Green ceramic mug – 350 ml", 24)]),
        "Acme Mugs");
}

/// <summary>What <c>low-stock-alert</c> sees.</summary>
public sealed record LowStockAlertModel(string Name, string Sku, int Available, int Threshold, string? Location, string? Url);

/// <summary>What <c>low-stock-digest</c> sees: <c>date</c> (the store's), <c>items</c>, <c>orders</c>.</summary>
public sealed record LowStockDigestModel(string Date, IReadOnlyList<LowStockDigestItem> Items, IReadOnlyList<LowStockDigestOrder> Orders);

/// <param name="Cover">Days of cover left at the recent sales rate ("–" when nothing sold).</param>
public sealed record LowStockDigestItem(string Name, string Sku, int Available, bool SoldOut, string Cover);

public sealed record LowStockDigestOrder(string Id, string Supplier, string Created, string Lines);

/// <summary>What <c>supplier-purchase-order</c> sees: <c>id</c>, <c>supplier</c>, <c>date</c>, <c>lines</c> (sku, name, quantity).</summary>
public sealed record PurchaseOrderEmailModel(string Id, string Supplier, string Date, IReadOnlyList<PurchaseOrderEmailLine> Lines);

public sealed record PurchaseOrderEmailLine(string Sku, string? Name, int Quantity);
