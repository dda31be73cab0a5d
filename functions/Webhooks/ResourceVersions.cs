using Automation.Retention;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace Automation.Webhooks;

/// <summary>
/// The newest <c>updated_at</c> seen per resource. Deliveries arrive out of order and retries carry the original
/// payload, so a delivery older than what we hold is stale and must not move state backwards. One partition per
/// store; each write also indexes the row under its day (<see cref="DayIndex"/>, same transaction), and a resource
/// not updated for <c>Retention:ResourceVersionDays</c> is forgotten — platforms stop retrying long before.
/// </summary>
public sealed class ResourceVersions(StorageClients storage, IOptions<RetentionOptions> retention, TimeProvider time) : IRetentionPurge
{
    public string Name => TableNames.ResourceVersions;

    /// <summary>Records the version; false when a newer one is already recorded (equal is not stale: a retry).</summary>
    public async Task<bool> TryAdvanceAsync(string storeId, ResourceVersion version, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableNames.ResourceVersions);
        var rowKey = StorageKeys.Escape(version.Key);
        while (true)
        {
            var existing = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rowKey, cancellationToken: cancellationToken);
            try
            {
                if (!existing.HasValue)
                {
                    await table.SubmitTransactionAsync(
                        [new(TableTransactionActionType.Add, new TableEntity(storeId, rowKey) { ["UpdatedAt"] = version.UpdatedAt }), DayIndex.Entry(storeId, time.GetUtcNow(), rowKey)],
                        cancellationToken);
                    return true;
                }

                var held = existing.Value!.GetDateTimeOffset("UpdatedAt");
                if (held > version.UpdatedAt) return false;
                if (held == version.UpdatedAt) return true;
                existing.Value["UpdatedAt"] = version.UpdatedAt;
                await table.SubmitTransactionAsync(
                    [new(TableTransactionActionType.UpdateReplace, existing.Value, existing.Value.ETag), DayIndex.Entry(storeId, time.GetUtcNow(), rowKey)],
                    cancellationToken);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Another delivery for the same resource won the race; compare again.
            }
        }
    }

    public async Task<int> PurgeAsync(string storeId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = now.AddDays(-retention.Value.ResourceVersionDays);
        var table = await storage.TableAsync(TableNames.ResourceVersions);
        var purged = 0;
        await DayIndex.SweepAsync(table, storeId, cutoff, async (rowKey, ct) =>
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rowKey, ["RowKey", "Timestamp"], ct);
            if (!row.HasValue) return null;
            if (row.Value!.Timestamp is { } written && written >= cutoff) return written;
            try
            {
                // At its ETag: a delivery that advances it meanwhile keeps it.
                await table.DeleteEntityAsync(storeId, rowKey, row.Value.ETag, ct);
                purged++;
                return null;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                return now;
            }
        }, cancellationToken);
        return purged;
    }
}
