using System.Text.Json;
using Automation.Runtime;
using Azure;
using Azure.Data.Tables;

namespace Automation.Inventory;

/// <summary>The available quantity at one location, and when it was true (the platform's time, not ours).</summary>
public sealed record LocationLevel(int Available, DateTimeOffset AsOf);

/// <summary>
/// One variant (SKU) of one store as the inventory view knows it: per-location levels, what the product says about
/// it, its stock state, and the transitions still to act on (an outbox written in the same update as the level).
/// </summary>
public sealed class VariantStock
{
    public required string StoreId { get; init; }
    public required long VariantId { get; init; }
    public string? Sku { get; set; }
    public long? ProductId { get; set; }
    public string? Title { get; set; }
    public string? ProductTitle { get; set; }
    public string? Url { get; set; }
    public string? ProductStatus { get; set; }
    public bool SellsWhenOutOfStock { get; set; }
    public bool ManagesStock { get; set; } = true;
    public int? LowStockAmount { get; set; }

    /// <summary>The quantity from the product payload (Shopify: the total over all locations), used until per-location levels are known.</summary>
    public int? ReportedTotal { get; set; }
    public DateTimeOffset? ReportedAt { get; set; }
    public DateTimeOffset? ProductAsOf { get; set; }
    public Dictionary<string, LocationLevel> Levels { get; set; } = new(StringComparer.Ordinal);
    public StockState State { get; set; } = new();
    public Dictionary<string, StockState> LocationStates { get; set; } = new(StringComparer.Ordinal);
    public List<StockTransition> Pending { get; set; } = [];
    public DateTimeOffset UpdatedAt { get; set; }
    public ETag ETag { get; set; }

    /// <summary>How the variant is named in effects' idempotency keys.</summary>
    public string Key => $"v{VariantId}";

    public string DisplayName => string.IsNullOrEmpty(Title) || Title == ProductTitle || Title == "Default Title"
        ? ProductTitle ?? Title ?? Sku ?? Key
        : ProductTitle is null ? Title : $"{ProductTitle} – {Title}";

    /// <summary>Available over the locations that sell online; null when stock is not tracked.</summary>
    public int? Available(IReadOnlyCollection<string> onlineLocations)
    {
        if (!ManagesStock) return null;
        if (Levels.Count == 0) return ReportedTotal;
        var sum = 0;
        var any = false;
        foreach (var (location, level) in Levels)
        {
            if (onlineLocations.Count > 0 && !onlineLocations.Contains(location)) continue;
            sum += level.Available;
            any = true;
        }

        return any ? sum : ReportedTotal;
    }

    // WARNING: the row's column names and JSON shapes are stored data; add columns rather than renaming.
    internal TableEntity ToEntity() => new(StoreId, VariantId.ToString(System.Globalization.CultureInfo.InvariantCulture))
    {
        ["Sku"] = Sku,
        ["ProductId"] = ProductId,
        ["Title"] = Title,
        ["ProductTitle"] = ProductTitle,
        ["Url"] = Url,
        ["ProductStatus"] = ProductStatus,
        ["SellsWhenOutOfStock"] = SellsWhenOutOfStock,
        ["ManagesStock"] = ManagesStock,
        ["LowStockAmount"] = LowStockAmount,
        ["ReportedTotal"] = ReportedTotal,
        ["ReportedAt"] = ReportedAt,
        ["ProductAsOf"] = ProductAsOf,
        ["Levels"] = JsonSerializer.Serialize(Levels, Json.Options),
        ["State"] = JsonSerializer.Serialize(State, Json.Options),
        ["LocationStates"] = LocationStates.Count == 0 ? null : JsonSerializer.Serialize(LocationStates, Json.Options),
        ["Pending"] = Pending.Count == 0 ? null : JsonSerializer.Serialize(Pending, Json.Options),
        ["SoldOut"] = State.SoldOut,
        ["Low"] = State.Low,
        ["UpdatedAt"] = UpdatedAt,
    };

    internal static VariantStock FromEntity(TableEntity row) => new()
    {
        StoreId = row.PartitionKey,
        VariantId = long.Parse(row.RowKey, System.Globalization.CultureInfo.InvariantCulture),
        Sku = row.GetString("Sku"),
        ProductId = row.GetInt64("ProductId"),
        Title = row.GetString("Title"),
        ProductTitle = row.GetString("ProductTitle"),
        Url = row.GetString("Url"),
        ProductStatus = row.GetString("ProductStatus"),
        SellsWhenOutOfStock = row.GetBoolean("SellsWhenOutOfStock") ?? false,
        ManagesStock = row.GetBoolean("ManagesStock") ?? true,
        LowStockAmount = row.GetInt32("LowStockAmount"),
        ReportedTotal = row.GetInt32("ReportedTotal"),
        ReportedAt = row.GetDateTimeOffset("ReportedAt"),
        ProductAsOf = row.GetDateTimeOffset("ProductAsOf"),
        Levels = Read<Dictionary<string, LocationLevel>>(row, "Levels") ?? new(StringComparer.Ordinal),
        State = Read<StockState>(row, "State") ?? new(),
        LocationStates = Read<Dictionary<string, StockState>>(row, "LocationStates") ?? new(StringComparer.Ordinal),
        Pending = Read<List<StockTransition>>(row, "Pending") ?? [],
        UpdatedAt = row.GetDateTimeOffset("UpdatedAt") ?? default,
        ETag = row.ETag,
    };

    private static T? Read<T>(TableEntity row, string column) =>
        row.GetString(column) is { Length: > 0 } json ? JsonSerializer.Deserialize<T>(json, Json.Options) : default;
}
