using System.Globalization;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;
using Microsoft.Azure.Functions.Worker;

namespace Automation.PublicEndpoints;

/// <summary>
/// Timer (hourly): deletes the <c>PublicLimits</c> rows of windows that have ended, read by a range of the partition
/// key (which starts with the window's start), never by scanning a column.
/// </summary>
public sealed class PurgePublicLimits(StorageClients storage, TimeProvider time, ILogger<PurgePublicLimits> logger)
{
    [Function(nameof(PurgePublicLimits))]
    public async Task Run([TimerTrigger("0 7 * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var deleted = await PurgeAsync(cancellationToken);
        logger.LogInformation("Purged {Count} public rate-limit rows of ended windows", deleted);
    }

    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(PublicLimiter.Table);
        var current = PublicLimiter.WindowStart(time.GetUtcNow());
        var before = current.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);
        var deleted = 0;
        var rows = table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey lt {before}"), maxPerPage: 1000, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken);
        await foreach (var page in rows.AsPages())
        {
            foreach (var group in page.Values.GroupBy(r => r.PartitionKey))
            {
                foreach (var chunk in group.Chunk(100))
                {
                    await table.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All)), cancellationToken);
                    deleted += chunk.Length;
                }
            }
        }

        return deleted;
    }
}
