using Automation.Events;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;

namespace Automation.Shopify;

/// <summary>
/// Shopify's <c>inventory_levels/update</c> names an inventory item, not a variant. Product payloads carry the
/// mapping (variant → inventory_item_id); this keeps it so inventory events can name the variant and SKU.
/// </summary>
public sealed class InventoryItemMap(StorageClients storage)
{
    public async Task RememberAsync(ProductUpdated product, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableNames.InventoryItems);
        var rows = product.Variants.Where(v => v.InventoryItemId is not null).Select(v => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(product.StoreId, v.InventoryItemId!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            ["VariantId"] = v.VariantId,
            ["ProductId"] = product.ProductId,
            ["Sku"] = v.Sku,
            ["SellsWhenOutOfStock"] = v.SellsWhenOutOfStock,
        })).ToList();
        foreach (var chunk in rows.Chunk(100))
        {
            await table.SubmitTransactionAsync(chunk, cancellationToken);
        }
    }

    public async Task<InventoryLevelChanged> ResolveAsync(InventoryLevelChanged level, CancellationToken cancellationToken)
    {
        if (level.InventoryItemId is null || level.VariantId is not null) return level;
        var table = await storage.TableAsync(TableNames.InventoryItems);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(level.StoreId, level.InventoryItemId.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken: cancellationToken);
        if (!row.HasValue) return level;
        var entity = row.Value!;
        return level with
        {
            VariantId = entity.GetInt64("VariantId"),
            ProductId = entity.GetInt64("ProductId"),
            Sku = entity.GetString("Sku"),
            SellsWhenOutOfStock = entity.GetBoolean("SellsWhenOutOfStock") ?? false,
        };
    }
}
