using Automation.Storage;
using Azure;
using Azure.Data.Tables;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Automation.Webhooks;

/// <summary>
/// Daily: deletes kept deliveries (and their large bodies) older than <c>Webhooks:RetentionDays</c>. Raw bodies
/// hold customer data, so they are not kept longer than inspection and replay need (and well inside Shopify's
/// 30-day redaction deadline).
/// </summary>
public sealed class PurgeOldDeliveries(StorageClients storage, IOptions<WebhookOptions> options, TimeProvider time, ILogger<PurgeOldDeliveries> logger)
{
    /// <summary>Daily at 03:30 UTC.</summary>
    public const string Schedule = "0 30 3 * * *";

    [Function(nameof(PurgeOldDeliveries))]
    public async Task Run([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().AddDays(-options.Value.RetentionDays);
        var table = await storage.TableAsync(TableNames.WebhookDeliveries);
        var container = await storage.ContainerAsync(BlobContainers.WebhookBodies);
        var deleted = 0;
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"ReceivedAt lt {cutoff}"), maxPerPage: 500, select: ["PartitionKey", "RowKey", "BodyBlob"], cancellationToken: cancellationToken))
        {
            if (row.GetString("BodyBlob") is { } blob)
            {
                await container.GetBlobClient(blob).DeleteIfExistsAsync(cancellationToken: cancellationToken);
            }

            try
            {
                await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
                deleted++;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
            }
        }

        logger.LogInformation("Purged {Count} webhook deliveries received before {Cutoff:O}", deleted, cutoff);
    }
}
