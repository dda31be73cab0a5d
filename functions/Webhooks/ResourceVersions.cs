using Automation.Storage;
using Azure;
using Azure.Data.Tables;

namespace Automation.Webhooks;

/// <summary>
/// The newest <c>updated_at</c> seen per resource. Deliveries arrive out of order and retries carry the original
/// payload, so a delivery older than what we hold is stale and must not move state backwards.
/// </summary>
public sealed class ResourceVersions(StorageClients storage)
{
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
                    await table.AddEntityAsync(new TableEntity(storeId, rowKey) { ["UpdatedAt"] = version.UpdatedAt }, cancellationToken);
                    return true;
                }

                var held = existing.Value!.GetDateTimeOffset("UpdatedAt");
                if (held > version.UpdatedAt) return false;
                if (held == version.UpdatedAt) return true;
                existing.Value["UpdatedAt"] = version.UpdatedAt;
                await table.UpdateEntityAsync(existing.Value, existing.Value.ETag, TableUpdateMode.Replace, cancellationToken);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Another delivery for the same resource won the race; compare again.
            }
        }
    }
}
