using System.Globalization;
using Automation.Events;
using Automation.Retention;
using Automation.Storage;
using Automation.Stores;
using Azure;
using Azure.Data.Tables;

namespace Automation.Inventory;

/// <summary>
/// Units sold per variant, one row per order line (so a repeated OrderPlaced counts once), partitioned per variant
/// (<c>{store}|{variant}</c>) and keyed by day so velocity reads only the window it needs. Kept for the store's
/// <c>Inventory:VelocityWindow</c> (and a day): older rows are purged by key.
/// </summary>
public sealed class SalesHistory(StorageClients storage, StoreSettings<InventoryOptions> settings) : IRetentionPurge
{
    public const string Table = "InventorySales";

    public string Name => Table;

    public async Task RecordAsync(OrderPlaced order, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var day = order.OccurredAt.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        foreach (var line in order.LineItems.Where(l => l.VariantId is not null && l.Quantity > 0).GroupBy(l => l.VariantId!.Value))
        {
            var row = new TableEntity(Partition(order.StoreId, line.Key), $"{day}|{order.OrderId}")
            {
                ["Units"] = line.Sum(l => l.Quantity),
                ["OccurredAt"] = order.OccurredAt,
            };
            try
            {
                await table.AddEntityAsync(row, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                // Already counted (a repeated delivery).
            }
        }
    }

    /// <summary>Average units per day over the window ending at <paramref name="now"/>.</summary>
    public async Task<double> UnitsPerDayAsync(string storeId, long variantId, TimeSpan window, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var from = (now - window).UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var units = 0L;
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Partition(storeId, variantId)} and RowKey ge {from}"), select: ["Units", "OccurredAt"], cancellationToken: cancellationToken))
        {
            if (row.GetDateTimeOffset("OccurredAt") is { } at && at < now - window) continue;
            units += row.GetInt32("Units") ?? 0;
        }

        return units / Math.Max(1, window.TotalDays);
    }

    /// <summary>
    /// Rows older than the velocity window: one query over the key range of the store's variant partitions for row keys
    /// (days) before the cutoff — keys only, never a property — deleted in per-partition transactions.
    /// </summary>
    public async Task<int> PurgeAsync(string storeId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var cutoffDay = (now - settings.For(storeId).VelocityWindow - TimeSpan.FromDays(1)).UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        // '|' ends the store id ([a-z0-9-]): this range holds this store's partitions and no other store's.
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {storeId + "|"} and PartitionKey lt {storeId + "}"} and RowKey lt {cutoffDay}");
        var purged = 0;
        await foreach (var page in table.QueryAsync<TableEntity>(filter, maxPerPage: 100, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).AsPages())
        {
            foreach (var partition in page.Values.GroupBy(r => r.PartitionKey))
            {
                await table.SubmitTransactionAsync(partition.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All)), cancellationToken);
                purged += partition.Count();
            }
        }

        return purged;
    }

    private static string Partition(string storeId, long variantId) => $"{storeId}|{variantId.ToString(CultureInfo.InvariantCulture)}";
}
