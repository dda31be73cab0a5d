using System.Globalization;
using System.Text.Json;
using Automation.Runtime;
using Automation.Inventory;
using Automation.Retention;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace Automation.OutOfStock;

/// <summary>
/// What was done to the storefront for one sold-out episode of a variant (row <c>{variant}:{episode}</c>), and for a
/// product hidden because all its variants sold out (row <c>product:{id}</c>). Each change is recorded here
/// <em>before</em> it is applied, with the value it replaces, so the restock can reverse exactly that. Episode rows
/// are indexed by the day they were made (<see cref="DayIndex"/>, same transaction) and go
/// <c>Retention:SoldOutEpisodeDays</c> after, once the variant is no longer sold out in that episode; product rows go
/// when the product is restocked (or with the store).
/// </summary>
public sealed class SoldOutEpisodes(StorageClients storage, InventoryView view, IOptions<RetentionOptions> retention, TimeProvider time) : IRetentionPurge
{
    public const string Table = "OutOfStockEpisodes";

    public string Name => Table;

    /// <summary>Marker stored when a step was considered and nothing needed changing.</summary>
    public const string Nothing = "none";

    public static string EpisodeKey(VariantStock variant, int episode) => $"{variant.Key}:{episode.ToString(CultureInfo.InvariantCulture)}";

    public static string ProductKey(long productId) => $"product:{productId.ToString(CultureInfo.InvariantCulture)}";

    public async Task<TableEntity> GetOrCreateAsync(string storeId, string rowKey, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rowKey, cancellationToken: cancellationToken);
        if (row.HasValue) return row.Value!;
        var entity = new TableEntity(storeId, rowKey);
        try
        {
            await table.SubmitTransactionAsync([new(TableTransactionActionType.Add, entity), DayIndex.Entry(storeId, time.GetUtcNow(), rowKey)], cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409)
        {
        }

        return (await table.GetEntityAsync<TableEntity>(storeId, rowKey, cancellationToken: cancellationToken)).Value;
    }

    public async Task<TableEntity?> FindAsync(string storeId, string rowKey, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rowKey, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    /// <summary>
    /// Records a step's plan once: returns the change already recorded for <paramref name="column"/>, or plans,
    /// records and returns it. Null: nothing to change.
    /// </summary>
    public async Task<StorefrontChange?> RecordOnceAsync(TableEntity row, string column, Func<Task<StorefrontChange?>> plan, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        while (true)
        {
            if (row.GetString(column) is { } recorded) return Parse(recorded);
            var change = await plan();
            row[column] = change is null ? Nothing : JsonSerializer.Serialize(change, Json.Options);
            try
            {
                var response = await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Merge, cancellationToken);
                row.ETag = response.Headers.ETag ?? row.ETag;
                return change;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // Someone else recorded a plan first (e.g. two variants selling out together): theirs stands.
                var fresh = (await table.GetEntityAsync<TableEntity>(row.PartitionKey, row.RowKey, cancellationToken: cancellationToken)).Value;
                foreach (var (key, value) in fresh) row[key] = value;
                row.ETag = fresh.ETag;
                if (fresh.GetString(column) is null) row.Remove(column);
            }
        }
    }

    public async Task SetAsync(TableEntity row, string column, object? value, CancellationToken cancellationToken)
    {
        row[column] = value;
        await SaveAsync(row, cancellationToken);
    }

    public async Task DeleteAsync(TableEntity row, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        try { await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken); }
        catch (RequestFailedException ex) when (ex.Status == 404) { }
    }

    public async Task<int> PurgeAsync(string storeId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = now.AddDays(-retention.Value.SoldOutEpisodeDays);
        var table = await storage.TableAsync(Table);
        var purged = 0;
        await DayIndex.SweepAsync(table, storeId, cutoff, async (rowKey, ct) =>
        {
            // v{variant}:{episode}; product rows are not purged by age (they go with the restock).
            var colon = rowKey.LastIndexOf(':');
            if (!rowKey.StartsWith('v') || colon < 0
                || !long.TryParse(rowKey[1..colon], CultureInfo.InvariantCulture, out var variantId)
                || !int.TryParse(rowKey[(colon + 1)..], CultureInfo.InvariantCulture, out var episode)) return null;
            var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rowKey, ["RowKey", "Timestamp"], ct);
            if (!row.HasValue) return null;
            if (row.Value!.Timestamp is { } written && written >= cutoff) return written;
            // Still sold out in this episode: its restock will need the record.
            if (await view.GetAsync(storeId, variantId, ct) is { State: { SoldOut: true } state } && state.SoldOutEpisode == episode) return now;
            await table.DeleteEntityAsync(storeId, rowKey, ETag.All, ct);
            purged++;
            return null;
        }, cancellationToken);
        return purged;
    }

    public static StorefrontChange? Parse(string? recorded) =>
        recorded is null or Nothing ? null : JsonSerializer.Deserialize<StorefrontChange>(recorded, Json.Options);

    private async Task SaveAsync(TableEntity row, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var response = await table.UpsertEntityAsync(row, TableUpdateMode.Merge, cancellationToken);
        row.ETag = response.Headers.ETag ?? row.ETag;
    }
}
