using System.Globalization;
using Automation.Events;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;

namespace Automation.Inventory;

/// <summary>
/// Units sold per variant, one row per order line (so a repeated OrderPlaced counts once), partitioned per variant
/// and keyed by day so velocity reads only the window it needs.
/// </summary>
public sealed class SalesHistory(StorageClients storage)
{
    public const string Table = "InventorySales";

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

    private static string Partition(string storeId, long variantId) => $"{storeId}|{variantId.ToString(CultureInfo.InvariantCulture)}";
}
