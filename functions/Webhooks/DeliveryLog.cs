using System.Globalization;
using Automation.Effects;
using Automation.Events;
using Automation.Retention;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace Automation.Webhooks;

// WARNING: stored in the rows' Status column; add values, never rename them.
public enum DeliveryStatus
{
    /// <summary>Being processed by the copy that holds the row's lease.</summary>
    Received,
    Processed,
    Ignored,
    Stale,
    Unparseable,

    /// <summary>The last attempt failed (it is retried; after the last retry it is in poison). A later copy is processed.</summary>
    Failed,
}

/// <summary>A copy of a delivery that holds the delivery's row: it alone processes it until it settles or its lease runs out.</summary>
public sealed record DeliveryClaim(string StoreId, string RowKey, ETag ETag, string? PreviousStatus);

/// <summary>
/// Every accepted delivery, kept with its raw body and headers for inspection and replay, in the
/// <c>WebhookDeliveries</c> table, one partition per store:
/// <list type="bullet">
/// <item><c>{hash of the dedupe key}</c>: the delivery, so a second copy is recognised, with a processing lease;</item>
/// <item><c>~day|{yyyyMMdd}|{delivery}</c>: when it was received (<see cref="DayIndex"/>), for the retention purge;</item>
/// <item><c>~email|{hash}|…</c>, <c>~customer|{id}|…</c>, <c>~order|{id}|…</c>: the customers and orders its events name,
/// so a redaction finds the customer's raw deliveries by key.</item>
/// </list>
/// The index rows are written in the same transaction as the delivery. Large bodies live in <c>webhook-bodies</c>
/// under <c>{store}/{delivery id}</c>; delivery ids are version-7 GUIDs, so those names sort by time too.
/// </summary>
public sealed class DeliveryLog(StorageClients storage, IOptions<WebhookOptions> options, TimeProvider time) : IRetentionPurge
{
    private const int MaxInlineBody = 63 * 1024;
    private const int MaxTransaction = 100;

    /// <summary>A copy held back because another holds the delivery looks again this soon (processing takes well under it).</summary>
    private static readonly TimeSpan RecheckHeldAfter = TimeSpan.FromSeconds(5);

    public string Name => TableNames.WebhookDeliveries;

    /// <summary>
    /// Takes the delivery for this copy. The first copy inserts the row and holds it. A later copy gets null when the
    /// first one settled (Processed, Ignored, Stale, Unparseable: acknowledged with no second effect); takes the row over
    /// when the first one failed or its lease ran out (its process died); and is held back (an
    /// <see cref="EffectInProgressException"/>: the message comes back when the lease ends) while another copy holds it,
    /// so two copies are never processed at once. A replay takes even a settled delivery.
    /// </summary>
    public async Task<DeliveryClaim?> ClaimAsync(WebhookDelivery delivery, Translation translation, byte[] body, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableNames.WebhookDeliveries);
        var rowKey = StorageKeys.Hash(translation.DedupeKey);
        var now = time.GetUtcNow();
        var indexKeys = IndexKeys(delivery.ReceivedAt, rowKey, translation.Events);
        var entity = new TableEntity(delivery.StoreId, rowKey)
        {
            ["DeliveryId"] = delivery.Id,
            ["DedupeKey"] = translation.DedupeKey,
            ["Platform"] = delivery.Platform.ToString(),
            ["Topic"] = delivery.Topic,
            ["ReceivedAt"] = delivery.ReceivedAt,
            ["Headers"] = System.Text.Json.JsonSerializer.Serialize(delivery.Headers),
            ["Status"] = nameof(DeliveryStatus.Received),
            ["LeaseUntil"] = now + options.Value.ProcessingLease,
            ["LeaseHolder"] = delivery.Id,
            ["Attempts"] = 1,
            ["IndexKeys"] = string.Join('\n', indexKeys),
        };
        if (delivery.BodyBlob is not null) entity["BodyBlob"] = delivery.BodyBlob;
        else if (body.Length <= MaxInlineBody) entity["Body"] = body;
        else entity["BodyBlob"] = await StoreLargeBodyAsync(delivery, body, cancellationToken);

        var index = indexKeys.Select(key => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(delivery.StoreId, key))).ToList();
        // A redaction naming a hundred orders: the index rows that do not fit go first (pointing at a row that may not
        // be written is harmless; a row that is not indexed could not be erased).
        foreach (var chunk in index.Skip(MaxTransaction - 1).Chunk(MaxTransaction))
        {
            await table.SubmitTransactionAsync(chunk, cancellationToken);
        }

        try
        {
            var response = await table.SubmitTransactionAsync([new(TableTransactionActionType.Add, entity), .. index.Take(MaxTransaction - 1)], cancellationToken);
            return new DeliveryClaim(delivery.StoreId, rowKey, response.Value[0].Headers.ETag ?? ETag.All, null);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409)
        {
            return await ClaimExistingAsync(table, delivery, rowKey, now, cancellationToken);
        }
    }

    private async Task<DeliveryClaim?> ClaimExistingAsync(TableClient table, WebhookDelivery delivery, string rowKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var existing = (await table.GetEntityAsync<TableEntity>(delivery.StoreId, rowKey, ["Status", "LeaseUntil", "Attempts", "Timestamp"], cancellationToken)).Value;
        var status = existing.GetString("Status");
        if (IsSettled(status) && !delivery.Replay) return null;

        // Rows written before leases existed count as leased from their last write.
        var leaseUntil = existing.GetDateTimeOffset("LeaseUntil") ?? (existing.Timestamp ?? now) + options.Value.ProcessingLease;
        var key = $"webhook-delivery:{delivery.StoreId}:{rowKey}";
        // Held: come back when the holder has most likely settled (then this copy is acknowledged), at the latest when its lease ends.
        if (status == nameof(DeliveryStatus.Received) && leaseUntil > now) throw new EffectInProgressException(key, Min(leaseUntil, now + RecheckHeldAfter));

        var takeover = new TableEntity(delivery.StoreId, rowKey)
        {
            ["Status"] = nameof(DeliveryStatus.Received),
            ["LeaseUntil"] = now + options.Value.ProcessingLease,
            ["LeaseHolder"] = delivery.Id,
            ["Attempts"] = (existing.GetInt32("Attempts") ?? 1) + 1,
        };
        try
        {
            var response = await table.UpdateEntityAsync(takeover, existing.ETag, TableUpdateMode.Merge, cancellationToken);
            return new DeliveryClaim(delivery.StoreId, rowKey, response.Headers.ETag ?? ETag.All, status);
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            // Another copy took it over (or a redaction erased it) between our read and our write: decide again later.
            throw new EffectInProgressException(key, now + RecheckHeldAfter);
        }
    }

    /// <summary>How a delivery ended (or that it was kept as is). A row erased meanwhile (a redaction naming it) stays erased.</summary>
    public async Task SettleAsync(DeliveryClaim claim, DeliveryStatus status, string? reason, int eventCount, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableNames.WebhookDeliveries);
        var update = new TableEntity(claim.StoreId, claim.RowKey)
        {
            ["Status"] = status.ToString(),
            ["Reason"] = reason,
            ["EventCount"] = eventCount,
            ["ProcessedAt"] = time.GetUtcNow(),
        };
        try
        {
            await table.UpdateEntityAsync(update, ETag.All, TableUpdateMode.Merge, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
        }
    }

    /// <summary>
    /// The attempt failed: the lease is released at once, so the message's retry — or a later copy, once the retries
    /// are spent and the message is in poison — processes the delivery. Not if another copy has taken the row over.
    /// </summary>
    public async Task ReleaseAsync(DeliveryClaim claim, string reason, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableNames.WebhookDeliveries);
        var update = new TableEntity(claim.StoreId, claim.RowKey)
        {
            ["Status"] = nameof(DeliveryStatus.Failed),
            ["Reason"] = reason,
            ["LeaseUntil"] = time.GetUtcNow(),
        };
        try
        {
            await table.UpdateEntityAsync(update, claim.ETag, TableUpdateMode.Merge, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static bool IsSettled(string? status) =>
        status is nameof(DeliveryStatus.Processed) or nameof(DeliveryStatus.Ignored) or nameof(DeliveryStatus.Stale) or nameof(DeliveryStatus.Unparseable);

    // ── Retention and erasure ──

    /// <summary>Deliveries received more than <c>Webhooks:RetentionDays</c> ago, with their bodies; then any body blob that old (one whose row never got written).</summary>
    public async Task<int> PurgeAsync(string storeId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = now.AddDays(-options.Value.RetentionDays);
        var table = await storage.TableAsync(TableNames.WebhookDeliveries);
        var purged = 0;
        await DayIndex.SweepAsync(table, storeId, cutoff, async (rowKey, ct) =>
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rowKey, ["PartitionKey", "RowKey", "ReceivedAt", "BodyBlob", "IndexKeys"], ct);
            if (!row.HasValue) return null;
            if (row.Value!.GetDateTimeOffset("ReceivedAt") is { } received && received >= cutoff) return received;
            await DeleteAsync(table, row.Value, ct);
            purged++;
            return null;
        }, cancellationToken);

        var container = await storage.ContainerAsync(BlobContainers.WebhookBodies);
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, storeId + "/", cancellationToken))
        {
            // Version-7 GUIDs start with their millisecond timestamp: names sort by time, so the first recent one ends it.
            if (BlobTime(blob.Name) is not { } at || at >= cutoff) break;
            await container.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
        }

        return purged;
    }

    /// <summary>Erases the raw deliveries whose events named this customer (email or id) or one of these orders, with their bodies.</summary>
    public async Task<int> EraseCustomerAsync(string storeId, string? email, long? customerId, IEnumerable<long> orders, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableNames.WebhookDeliveries);
        var prefixes = new List<string>();
        if (!string.IsNullOrWhiteSpace(email)) prefixes.Add(EmailIndex(email));
        if (customerId is { } id) prefixes.Add(CustomerIndex(id));
        prefixes.AddRange(orders.Select(OrderIndex));

        var deliveries = new HashSet<string>(StringComparer.Ordinal);
        foreach (var prefix in prefixes)
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and RowKey ge {prefix} and RowKey lt {prefix + "\uffff"}");
            await foreach (var link in table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
            {
                deliveries.Add(link.RowKey[prefix.Length..]);
                await table.DeleteEntityAsync(storeId, link.RowKey, ETag.All, cancellationToken);
            }
        }

        foreach (var rowKey in deliveries)
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rowKey, ["PartitionKey", "RowKey", "BodyBlob", "IndexKeys"], cancellationToken);
            if (row.HasValue) await DeleteAsync(table, row.Value!, cancellationToken);
        }

        return deliveries.Count;
    }

    private async Task DeleteAsync(TableClient table, TableEntity row, CancellationToken cancellationToken)
    {
        if (row.GetString("BodyBlob") is { } blob)
        {
            var container = await storage.ContainerAsync(BlobContainers.WebhookBodies);
            await container.DeleteBlobIfExistsAsync(blob, cancellationToken: cancellationToken);
        }

        // The delivery's own index rows go with it (each delete answers 404 quietly if one is gone already).
        foreach (var key in (row.GetString("IndexKeys") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            await table.DeleteEntityAsync(row.PartitionKey, key, ETag.All, cancellationToken);
        }

        await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
    }

    internal static DateTimeOffset? BlobTime(string name)
    {
        var id = name[(name.LastIndexOf('/') + 1)..];
        return id.Length == 32 && long.TryParse(id.AsSpan(0, 12), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
    }

    private static List<string> IndexKeys(DateTimeOffset receivedAt, string rowKey, IEnumerable<StoreEvent> events)
    {
        var keys = new List<string> { DayIndex.RowKey(receivedAt, rowKey) };
        foreach (var storeEvent in events)
        {
            (string? Email, long? CustomerId, IReadOnlyList<long> Orders) named = storeEvent switch
            {
                CheckoutEvent c => (c.Email, c.CustomerId, []),
                OrderPlaced o => (o.Email, o.CustomerId, [o.OrderId]),
                ReturnRequested r => (null, null, [r.OrderId]),
                RefundCreated r => (null, null, [r.OrderId]),
                CustomerDataRequested d => (d.Email, d.CustomerId, d.Orders),
                CustomerRedactRequested d => (d.Email, d.CustomerId, d.Orders),
                _ => (null, null, []),
            };
            if (!string.IsNullOrWhiteSpace(named.Email)) keys.Add(EmailIndex(named.Email) + rowKey);
            if (named.CustomerId is { } id) keys.Add(CustomerIndex(id) + rowKey);
            keys.AddRange(named.Orders.Select(o => OrderIndex(o) + rowKey));
        }

        return [.. keys.Distinct(StringComparer.Ordinal)];
    }

    private static string EmailIndex(string email) => $"~email|{StorageKeys.Hash(email.Trim().ToLowerInvariant())}|";

    private static string CustomerIndex(long customerId) => $"~customer|{customerId.ToString(CultureInfo.InvariantCulture)}|";

    private static string OrderIndex(long orderId) => $"~order|{orderId.ToString(CultureInfo.InvariantCulture)}|";

    private async Task<string> StoreLargeBodyAsync(WebhookDelivery delivery, byte[] body, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(BlobContainers.WebhookBodies);
        var name = $"{delivery.StoreId}/{delivery.Id}";
        await container.GetBlobClient(name).UploadAsync(new BinaryData(body), overwrite: true, cancellationToken);
        return name;
    }
}
