using System.Globalization;
using System.Text.Json;
using Automation.Retention;
using Automation.Runtime;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace Automation.LowStock;

/// <summary>One SKU on order (or waiting to be grouped onto an order) with a supplier.</summary>
// WARNING: stored as JSON in PurchaseOrders rows. Add properties only.
public sealed record PurchaseOrderLine(string Sku, long VariantId, string? Name, int Quantity, double UnitsPerDay, int OnHand, int Waitlist);

public sealed record PurchaseOrder(string StoreId, string Id, string Supplier, string Status, DateTimeOffset CreatedAt, DateTimeOffset? ClosedAt, IReadOnlyList<PurchaseOrderLine> Lines);

/// <summary>
/// Purchase orders and the "one open order per SKU and supplier" rule. A line row
/// <c>line|{supplier}|{sku}</c> exists from the moment a SKU needs ordering until its order is received or
/// cancelled: inserting it is the check (a second insert conflicts), so two events can never open two orders.
/// A closed order is indexed by the day it closed (<see cref="DayIndex"/>, same transaction) and kept
/// <c>Retention:PurchaseOrderDays</c>; open orders and their lines are kept while open.
/// </summary>
public sealed class PurchaseOrders(StorageClients storage, IOptions<RetentionOptions> retention, TimeProvider time) : IRetentionPurge
{
    public const string Table = "PurchaseOrders";

    public string Name => Table;

    public static string LineKey(string supplier, string sku) => $"line|{StorageKeys.Escape(supplier)}|{StorageKeys.Escape(sku)}";

    /// <summary>Queues a SKU for the supplier's next order; false when the SKU is already pending or on an open order.</summary>
    public async Task<bool> TryAddLineAsync(string storeId, string supplier, PurchaseOrderLine line, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        try
        {
            await table.AddEntityAsync(new TableEntity(storeId, LineKey(supplier, line.Sku))
            {
                ["Supplier"] = supplier,
                ["Sku"] = line.Sku,
                ["Status"] = "Pending",
                ["Line"] = JsonSerializer.Serialize(line, Json.Options),
                ["Quantity"] = line.Quantity,
                ["CreatedAt"] = time.GetUtcNow(),
            }, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    /// <summary>Units of the SKU on order or pending with the supplier.</summary>
    public async Task<int> OnOrderAsync(string storeId, string supplier, string sku, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, LineKey(supplier, sku), ["Quantity"], cancellationToken);
        return row.HasValue ? row.Value!.GetInt32("Quantity") ?? 0 : 0;
    }

    /// <summary>
    /// Claims the supplier's pending lines for order <paramref name="poId"/> (lines already claimed by it count too, so
    /// a retried run finds the same order) and records the order. Null when there is nothing to order.
    /// </summary>
    public async Task<PurchaseOrder?> CreateAsync(string storeId, string supplier, string poId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var existing = await GetAsync(storeId, poId, cancellationToken);
        if (existing is not null) return existing;

        var prefix = $"line|{StorageKeys.Escape(supplier)}|";
        var lines = new List<PurchaseOrderLine>();
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and RowKey ge {prefix} and RowKey lt {prefix + "\uffff"}"), cancellationToken: cancellationToken))
        {
            var status = row.GetString("Status");
            if (status == "Pending")
            {
                row["Status"] = "Ordered";
                row["PoId"] = poId;
                try
                {
                    await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Merge, cancellationToken);
                }
                catch (RequestFailedException ex) when (ex.Status is 412 or 404)
                {
                    continue; // Another run claimed it for its own order.
                }
            }
            else if (row.GetString("PoId") != poId)
            {
                continue;
            }

            if (JsonSerializer.Deserialize<PurchaseOrderLine>(row.GetString("Line")!, Json.Options) is { } line) lines.Add(line);
        }

        if (lines.Count == 0) return null;
        var order = new PurchaseOrder(storeId, poId, supplier, "Open", time.GetUtcNow(), null, lines);
        await table.UpsertEntityAsync(ToEntity(order), TableUpdateMode.Replace, cancellationToken);
        return order;
    }

    public async Task<PurchaseOrder?> GetAsync(string storeId, string poId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, "po|" + StorageKeys.Escape(poId), cancellationToken: cancellationToken);
        return row.HasValue ? FromEntity(row.Value!) : null;
    }

    public async IAsyncEnumerable<PurchaseOrder> OpenAsync(string storeId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and RowKey ge 'po|' and RowKey lt 'po}}' and Status eq 'Open'"), maxPerPage: 100, cancellationToken: cancellationToken))
        {
            yield return FromEntity(row);
        }
    }

    /// <summary>Marks an open order received or cancelled and frees its SKUs for the next order. Null when there is no such order.</summary>
    public async Task<PurchaseOrder?> CloseAsync(string storeId, string poId, string status, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var order = await GetAsync(storeId, poId, cancellationToken);
        if (order is null) return null;
        if (order.Status == "Open")
        {
            order = order with { Status = status, ClosedAt = time.GetUtcNow() };
            var row = ToEntity(order);
            await table.SubmitTransactionAsync([new(TableTransactionActionType.UpsertReplace, row), DayIndex.Entry(storeId, order.ClosedAt.Value, row.RowKey)], cancellationToken);
        }

        foreach (var line in order.Lines)
        {
            var key = LineKey(order.Supplier, line.Sku);
            var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, key, cancellationToken: cancellationToken);
            if (row.HasValue && row.Value!.GetString("PoId") == poId)
            {
                try { await table.DeleteEntityAsync(storeId, key, row.Value.ETag, cancellationToken); }
                catch (RequestFailedException ex) when (ex.Status is 404 or 412) { }
            }
        }

        return order;
    }

    /// <summary>Orders closed more than <c>Retention:PurchaseOrderDays</c> ago.</summary>
    public async Task<int> PurgeAsync(string storeId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = now.AddDays(-retention.Value.PurchaseOrderDays);
        var table = await storage.TableAsync(Table);
        var purged = 0;
        await DayIndex.SweepAsync(table, storeId, cutoff, async (rowKey, ct) =>
        {
            if (!rowKey.StartsWith("po|", StringComparison.Ordinal)) return null; // a line: it goes when its order closes
            var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rowKey, ["Status", "ClosedAt"], ct);
            if (!row.HasValue || row.Value!.GetString("Status") == "Open") return null; // an open order is indexed when it closes
            if (row.Value.GetDateTimeOffset("ClosedAt") is { } closed && closed >= cutoff) return closed;
            await table.DeleteEntityAsync(storeId, rowKey, ETag.All, ct);
            purged++;
            return null;
        }, cancellationToken);
        return purged;
    }

    private static TableEntity ToEntity(PurchaseOrder order) => new(order.StoreId, "po|" + StorageKeys.Escape(order.Id))
    {
        ["PoId"] = order.Id,
        ["Supplier"] = order.Supplier,
        ["Status"] = order.Status,
        ["CreatedAt"] = order.CreatedAt,
        ["ClosedAt"] = order.ClosedAt,
        ["Lines"] = JsonSerializer.Serialize(order.Lines, Json.Options),
    };

    private static PurchaseOrder FromEntity(TableEntity row) => new(
        row.PartitionKey,
        row.GetString("PoId")!,
        row.GetString("Supplier")!,
        row.GetString("Status")!,
        row.GetDateTimeOffset("CreatedAt") ?? default,
        row.GetDateTimeOffset("ClosedAt"),
        JsonSerializer.Deserialize<List<PurchaseOrderLine>>(row.GetString("Lines") ?? "[]", Json.Options) ?? []);

    /// <summary>A readable, stable order number from the work item that created it.</summary>
    public static string NewId(DateTimeOffset at, string seed) =>
        $"PO-{at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}-{StorageKeys.Hash(seed)[..8].ToUpperInvariant()}";
}
