using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace Automation.Retention;

/// <summary>
/// A time-ordered index kept beside the rows it indexes, in their own partition: row
/// <c>~day|{yyyyMMdd}|{item row key}</c>, written in the same entity-group transaction as the item (one request, no
/// extra cost), so a purge reads the days that are past retention by key — never the whole table, never a non-key
/// column. <c>~</c> sorts after every data row key, so readers of data rows ask for <c>RowKey lt '~'</c>
/// (<see cref="DataRows"/>).
/// </summary>
/// <remarks>
/// An item is indexed under the day it was written; the purge asks its owner whether it is still active (touched
/// since, still waiting, …) and, if so, indexes it again under the day of its last activity, so it comes up again when
/// that day is past retention. Rows written before an area had the index are indexed once, on the first purge, from
/// a paged read of the partition by its key (<see cref="SweepAsync"/>; a marker row records that it was done).
/// </remarks>
public static class DayIndex
{
    public const string Prefix = "~day|";

    /// <summary>Data rows sort before this; index and marker rows after.</summary>
    public const string DataEnd = "~";

    private const string BackfilledMarker = "~meta|day-index";
    private const int DayLength = 8;

    public static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public static string RowKey(DateTimeOffset at, string itemRowKey) => $"{Prefix}{Day(at)}|{itemRowKey}";

    /// <summary>The index row for an item, to add to the transaction that writes the item.</summary>
    public static TableTransactionAction Entry(string partition, DateTimeOffset at, string itemRowKey) =>
        new(TableTransactionActionType.UpsertReplace, new TableEntity(partition, RowKey(at, itemRowKey)));

    /// <summary>Only the data rows of a partition (not index or marker rows).</summary>
    public static string DataRows(string partition) => TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey lt {DataEnd}");

    public static bool IsIndexRow(string rowKey) => rowKey.StartsWith(DataEnd, StringComparison.Ordinal);

    /// <summary>
    /// Goes through the items of <paramref name="partition"/> indexed on days before <paramref name="cutoff"/>'s day and
    /// asks <paramref name="expire"/> about each (by its row key). It answers null when the item is gone (it erased it
    /// now, or it was erased before, or it is kept without expiry), or the time the item was last active when it is
    /// still live (it is indexed again under that day). Returns how many index rows were examined.
    /// </summary>
    public static async Task<int> SweepAsync(TableClient table, string partition, DateTimeOffset cutoff, Func<string, CancellationToken, Task<DateTimeOffset?>> expire, CancellationToken cancellationToken)
    {
        await BackfillOnceAsync(table, partition, cancellationToken);
        var examined = 0;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {Prefix} and RowKey lt {Prefix + Day(cutoff)}");
        await foreach (var page in table.QueryAsync<TableEntity>(filter, maxPerPage: 100, select: ["RowKey"], cancellationToken: cancellationToken).AsPages())
        {
            foreach (var index in page.Values)
            {
                var itemKey = index.RowKey[(Prefix.Length + DayLength + 1)..];
                var activeAt = await expire(itemKey, cancellationToken);
                var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Delete, new TableEntity(partition, index.RowKey), ETag.All) };
                if (activeAt is { } at)
                {
                    // Still live: comes up again once its last activity is past retention (never today's sweep again).
                    actions.Add(Entry(partition, at > cutoff ? at : cutoff, itemKey));
                }

                try
                {
                    await table.SubmitTransactionAsync(actions, cancellationToken);
                }
                catch (TableTransactionFailedException ex) when (ex.Status == 404)
                {
                    // Another sweep removed this index row meanwhile.
                }

                examined++;
            }
        }

        return examined;
    }

    /// <summary>
    /// Indexes the rows an earlier version wrote without index rows, under the day they were last written, in one paged
    /// read of the partition by its key. Done once per partition (a marker row says so).
    /// </summary>
    private static async Task BackfillOnceAsync(TableClient table, string partition, CancellationToken cancellationToken)
    {
        if ((await table.GetEntityIfExistsAsync<TableEntity>(partition, BackfilledMarker, ["RowKey"], cancellationToken)).HasValue) return;
        await foreach (var page in table.QueryAsync<TableEntity>(DataRows(partition), maxPerPage: 99, select: ["RowKey", "Timestamp"], cancellationToken: cancellationToken).AsPages())
        {
            if (page.Values.Count == 0) continue;
            await table.SubmitTransactionAsync(page.Values.Select(row => Entry(partition, row.Timestamp ?? DateTimeOffset.UnixEpoch, row.RowKey)), cancellationToken);
        }

        await table.UpsertEntityAsync(new TableEntity(partition, BackfilledMarker), TableUpdateMode.Replace, cancellationToken);
    }
}
