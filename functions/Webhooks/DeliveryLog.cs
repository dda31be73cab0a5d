using Automation.Storage;
using Azure;
using Azure.Data.Tables;

namespace Automation.Webhooks;

public enum DeliveryStatus
{
    Received,
    Processed,
    Ignored,
    Stale,
    Unparseable,
}

/// <summary>
/// Every accepted delivery, kept with its raw body and headers for inspection and replay, keyed by its dedupe key
/// (PartitionKey = store, RowKey = hash of the key) so a second copy is recognised.
/// </summary>
public sealed class DeliveryLog(StorageClients storage, TimeProvider time)
{
    private const int MaxInlineBody = 63 * 1024;

    /// <summary>Adds the delivery; returns the existing row instead when this key was seen before.</summary>
    public async Task<TableEntity?> TryAddAsync(WebhookDelivery delivery, string dedupeKey, byte[] body, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableNames.WebhookDeliveries);
        var entity = new TableEntity(delivery.StoreId, StorageKeys.Hash(dedupeKey))
        {
            ["DeliveryId"] = delivery.Id,
            ["DedupeKey"] = dedupeKey,
            ["Platform"] = delivery.Platform.ToString(),
            ["Topic"] = delivery.Topic,
            ["ReceivedAt"] = delivery.ReceivedAt,
            ["Headers"] = System.Text.Json.JsonSerializer.Serialize(delivery.Headers),
            ["Status"] = nameof(DeliveryStatus.Received),
        };
        if (delivery.BodyBlob is not null) entity["BodyBlob"] = delivery.BodyBlob;
        else if (body.Length <= MaxInlineBody) entity["Body"] = body;
        else entity["BodyBlob"] = await StoreLargeBodyAsync(delivery, body, cancellationToken);

        try
        {
            await table.AddEntityAsync(entity, cancellationToken);
            return null;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return (await table.GetEntityAsync<TableEntity>(entity.PartitionKey, entity.RowKey, cancellationToken: cancellationToken)).Value;
        }
    }

    public async Task SetStatusAsync(string storeId, string dedupeKey, DeliveryStatus status, string? reason, int eventCount, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableNames.WebhookDeliveries);
        var update = new TableEntity(storeId, StorageKeys.Hash(dedupeKey))
        {
            ["Status"] = status.ToString(),
            ["Reason"] = reason,
            ["EventCount"] = eventCount,
            ["ProcessedAt"] = time.GetUtcNow(),
        };
        await table.UpdateEntityAsync(update, ETag.All, TableUpdateMode.Merge, cancellationToken);
    }

    private async Task<string> StoreLargeBodyAsync(WebhookDelivery delivery, byte[] body, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(BlobContainers.WebhookBodies);
        var name = $"{delivery.StoreId}/{delivery.Id}";
        await container.GetBlobClient(name).UploadAsync(new BinaryData(body), overwrite: true, cancellationToken);
        return name;
    }
}
