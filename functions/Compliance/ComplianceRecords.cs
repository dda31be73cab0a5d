using Automation.Retention;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace Automation.Compliance;

/// <summary>
/// The <c>ComplianceRequests</c> table: one row per compliance request (what, when, which customer id and orders —
/// never an email), one partition per store, indexed by day (<see cref="DayIndex"/>) and kept
/// <c>Retention:ComplianceDays</c> as the record that each request was handled.
/// </summary>
public sealed class ComplianceRecords(StorageClients storage, IOptions<RetentionOptions> retention, TimeProvider time) : IRetentionPurge
{
    public string Name => TableNames.ComplianceRequests;

    public async Task RecordAsync(TableEntity record, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableNames.ComplianceRequests);
        await table.SubmitTransactionAsync(
            [new(TableTransactionActionType.UpsertReplace, record), DayIndex.Entry(record.PartitionKey, time.GetUtcNow(), record.RowKey)],
            cancellationToken);
    }

    public async Task<int> PurgeAsync(string storeId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = now.AddDays(-retention.Value.ComplianceDays);
        var table = await storage.TableAsync(TableNames.ComplianceRequests);
        var purged = 0;
        await DayIndex.SweepAsync(table, storeId, cutoff, async (rowKey, ct) =>
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rowKey, ["RecordedAt"], ct);
            if (!row.HasValue) return null;
            if (row.Value!.GetDateTimeOffset("RecordedAt") is { } recorded && recorded >= cutoff) return recorded;
            await table.DeleteEntityAsync(storeId, rowKey, ETag.All, ct);
            purged++;
            return null;
        }, cancellationToken);
        return purged;
    }
}
