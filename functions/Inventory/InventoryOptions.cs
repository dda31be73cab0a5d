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
