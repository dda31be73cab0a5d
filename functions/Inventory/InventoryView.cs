using Automation.Stores;
using System.Globalization;
using Automation.Events;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;

namespace Automation.Inventory;

/// <summary>
/// The inventory view: per store, variant and location, the last known available quantity and when it was true.
/// An update never moves a level backwards in event time, and the transitions it causes are written in the same
/// (ETag-guarded) update as the level, so a crash after the write still leaves them to be acted on.
/// </summary>
public sealed class InventoryView(StorageClients storage, StoreSettings<InventoryOptions> settings, TimeProvider time)
{
    public const string Table = "InventoryLevels";
    private const int MaxAttempts = 20;

    public async Task<VariantStock?> GetAsync(string storeId, long variantId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, variantId.ToString(CultureInfo.InvariantCulture), cancellationToken: cancellationToken);
        return row.HasValue ? VariantStock.FromEntity(row.Value!) : null;
    }

    /// <summary>The variant with this SKU (the first, if a store reuses a SKU).</summary>
    public async Task<VariantStock?> FindBySkuAsync(string storeId, string sku, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and Sku eq {sku}"), maxPerPage: 100, cancellationToken: cancellationToken))
        {
            return VariantStock.FromEntity(row);
        }

        return null;
    }

    /// <summary>Applies one location's level; returns the variant with its pending transitions (null when the level was stale or unchanged).</summary>
    public Task<VariantStock?> ApplyAsync(InventoryLevelChanged level, CancellationToken cancellationToken) =>
        level.VariantId is not { } variantId
            ? Task.FromResult<VariantStock?>(null)
            : UpdateAsync(level.StoreId, variantId, v => InventoryRules.ApplyLevel(v, level, settings.For(level.StoreId), time.GetUtcNow()), cancellationToken);

    /// <summary>Applies a product's variants (metadata, and the reported quantity where no per-location level is known).</summary>
    public async Task<IReadOnlyList<VariantStock>> ApplyAsync(ProductUpdated product, CancellationToken cancellationToken)
    {
        var changed = new List<VariantStock>();
        foreach (var snapshot in product.Variants)
        {
            var variant = await UpdateAsync(product.StoreId, snapshot.VariantId, v => InventoryRules.ApplyProduct(v, product, snapshot, settings.For(product.StoreId), time.GetUtcNow()), cancellationToken);
            if (variant is not null) changed.Add(variant);
        }

        return changed;
    }

    /// <summary>Removes transitions that have been acted on from the outbox.</summary>
    public Task CompleteAsync(VariantStock variant, IReadOnlyCollection<StockTransition> done, CancellationToken cancellationToken) =>
        UpdateAsync(variant.StoreId, variant.VariantId, v => v.Pending.RemoveAll(done.Contains) > 0, cancellationToken);

    /// <summary>The variants of one product (to know whether all of them are sold out).</summary>
    public async Task<IReadOnlyList<VariantStock>> ProductVariantsAsync(string storeId, long productId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var list = new List<VariantStock>();
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and ProductId eq {productId}"), cancellationToken: cancellationToken))
        {
            list.Add(VariantStock.FromEntity(row));
        }

        return list;
    }

    /// <summary>Pages through the store's variants that are low or sold out (for the digest), never the whole table at once.</summary>
    public async IAsyncEnumerable<VariantStock> LowOrSoldOutAsync(string storeId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and (Low eq true or SoldOut eq true)"), maxPerPage: 200, cancellationToken: cancellationToken))
        {
            yield return VariantStock.FromEntity(row);
        }
    }

    /// <summary>Read, change, write with the row's ETag; on a concurrent write, read again and redo the change.</summary>
    private async Task<VariantStock?> UpdateAsync(string storeId, long variantId, Func<VariantStock, bool> change, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        for (var attempt = 1; ; attempt++)
        {
            var variant = await GetAsync(storeId, variantId, cancellationToken);
            var isNew = variant is null;
            variant ??= new VariantStock { StoreId = storeId, VariantId = variantId };
            if (!change(variant)) return isNew ? null : variant.Pending.Count > 0 ? variant : null;

            variant.UpdatedAt = time.GetUtcNow();
            try
            {
                var entity = variant.ToEntity();
                var response = isNew
                    ? await table.AddEntityAsync(entity, cancellationToken)
                    : await table.UpdateEntityAsync(entity, variant.ETag, TableUpdateMode.Replace, cancellationToken);
                variant.ETag = response.Headers.ETag ?? ETag.All;
                return variant;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < MaxAttempts)
            {
                // Another event for this variant won the race: start again from its result.
            }
        }
    }
}

/// <summary>The view's rules, free of storage: how an event changes a variant, and which transitions that causes.</summary>
public static class InventoryRules
{
    /// <returns>Whether the variant changed.</returns>
    public static bool ApplyLevel(VariantStock variant, InventoryLevelChanged level, InventoryOptions options, DateTimeOffset now)
    {
        var changed = false;
        if (level.Sku is not null && variant.Sku != level.Sku) { variant.Sku = level.Sku; changed = true; }
        if (level.ProductId is not null && variant.ProductId != level.ProductId) { variant.ProductId = level.ProductId; changed = true; }
        if (level.LowStockAmount is not null && variant.LowStockAmount != level.LowStockAmount) { variant.LowStockAmount = level.LowStockAmount; changed = true; }
        if (variant.SellsWhenOutOfStock != level.SellsWhenOutOfStock && level.VariantId is not null && (variant.ProductAsOf is null || level.OccurredAt >= variant.ProductAsOf))
        {
            variant.SellsWhenOutOfStock = level.SellsWhenOutOfStock;
            changed = true;
        }

        if (level.Available is not { } available)
        {
            return changed;
        }

        // Never backwards: an older reading of this location than the one held is ignored.
        if (variant.Levels.TryGetValue(level.LocationId, out var current) && level.OccurredAt < current.AsOf)
        {
            return changed;
        }

        if (current is null || current.Available != available || current.AsOf != level.OccurredAt)
        {
            variant.Levels[level.LocationId] = new LocationLevel(available, level.OccurredAt);
            variant.ManagesStock = true;
            changed = true;
        }

        return Evaluate(variant, options, level.OccurredAt, level.Id, now) || changed;
    }

    public static bool ApplyProduct(VariantStock variant, ProductUpdated product, VariantSnapshot snapshot, InventoryOptions options, DateTimeOffset now)
    {
        if (variant.ProductAsOf is { } asOf && product.OccurredAt < asOf) return false;
        variant.ProductAsOf = product.OccurredAt;
        variant.Sku = snapshot.Sku ?? variant.Sku;
        variant.ProductId = product.ParentProductId ?? product.ProductId;
        variant.Title = snapshot.Title;
        variant.ProductTitle = product.ParentProductId is null ? product.Title : variant.ProductTitle ?? product.Title;
        variant.Url = product.Url ?? variant.Url;
        variant.ProductStatus = product.Status;
        variant.SellsWhenOutOfStock = snapshot.SellsWhenOutOfStock;
        variant.ManagesStock = snapshot.ManagesStock;
        variant.LowStockAmount = snapshot.LowStockAmount;
        if (snapshot.InventoryQuantity is { } quantity && (variant.ReportedAt is null || product.OccurredAt >= variant.ReportedAt))
        {
            variant.ReportedTotal = quantity;
            variant.ReportedAt = product.OccurredAt;
        }

        Evaluate(variant, options, product.OccurredAt, product.Id, now);
        return true;
    }

    public static int Threshold(VariantStock variant, InventoryOptions options) =>
        variant.Sku is not null && options.SkuThresholds.TryGetValue(variant.Sku, out var bySku) ? bySku
        : variant.LowStockAmount ?? options.DefaultLowStockThreshold;

    /// <summary>Moves the variant's states to match its levels and queues the transitions; returns whether any occurred.</summary>
    public static bool Evaluate(VariantStock variant, InventoryOptions options, DateTimeOffset at, string? eventId = null, DateTimeOffset? now = null)
    {
        var before = variant.Pending.Count;
        var any = EvaluateStates(variant, options, at);
        for (var i = before; i < variant.Pending.Count; i++) variant.Pending[i] = variant.Pending[i] with { EventId = eventId, RecordedAt = now };
        return any;
    }

    private static bool EvaluateStates(VariantStock variant, InventoryOptions options, DateTimeOffset at)
    {
        if (variant.Available(options.OnlineLocations) is not { } available) return false;
        var threshold = Threshold(variant, options);
        var (state, transitions) = variant.State.Apply(available, threshold, at);
        variant.State = state;
        variant.Pending.AddRange(transitions);
        var any = transitions.Count > 0;

        foreach (var (location, locationThreshold) in options.LocationThresholds)
        {
            if (!variant.Levels.TryGetValue(location, out var level)) continue;
            var (locationState, locationTransitions) = variant.LocationStates.GetValueOrDefault(location, new StockState()).Apply(level.Available, locationThreshold, at, location);
            variant.LocationStates[location] = locationState;
            variant.Pending.AddRange(locationTransitions);
            any |= locationTransitions.Count > 0;
        }

        return any;
    }
}
