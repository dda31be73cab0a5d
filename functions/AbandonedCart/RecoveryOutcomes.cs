using Automation.Runtime;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;

namespace Automation.AbandonedCart;

/// <summary>How a flow ended, kept after its orchestration (whose instance the customer's next flow reuses).</summary>
public sealed record RecoveryOutcome(
    string StoreId,
    string FlowId,
    string CustomerKey,
    string State,
    string EndReason,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    string Currency,
    DateTimeOffset? ReminderSentAt,
    string? CouponCode,
    DateTimeOffset? CouponEmailSentAt,
    TimeSpan AttributionWindow,
    long? RecoveredOrderId = null,
    decimal? RecoveredRevenue = null,
    string? RecoveredBy = null);

/// <summary>
/// The <c>RecoveryOutcomes</c> table: one row per ended flow (PartitionKey store, RowKey flow id, which starts with the
/// customer's instance id), read by the store's stats and by a late order's attribution.
/// </summary>
public sealed class RecoveryOutcomes(StorageClients storage)
{
    public const string TableName = "RecoveryOutcomes";

    public async Task RecordAsync(RecoveryOutcome outcome, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName);
        await table.UpsertEntityAsync(ToRow(outcome), TableUpdateMode.Replace, cancellationToken);
        // Both ways an order is attributed (during the flow, or late) record it here, once.
        if (outcome.RecoveredRevenue is { } revenue) AutomationTelemetry.Recovered(outcome.StoreId, outcome.Currency, revenue);
    }

    public async Task<RecoveryOutcome?> GetAsync(string storeId, string flowId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, StorageKeys.Escape(flowId), cancellationToken: cancellationToken);
        return row.HasValue ? FromRow(row.Value!) : null;
    }

    /// <summary>An order after the flow ended, within its attribution window of the last message: recorded as recovered.</summary>
    public async Task<bool> AttributeAsync(string storeId, string flowId, RecoveryOrder order, CancellationToken cancellationToken)
    {
        if (await GetAsync(storeId, flowId, cancellationToken) is not { RecoveredOrderId: null } outcome) return false;
        if (RecoveryAttribution.WinningStep(outcome.ReminderSentAt, outcome.CouponEmailSentAt, outcome.CouponCode, outcome.AttributionWindow, order) is not { } step) return false;
        await RecordAsync(outcome with { RecoveredOrderId = order.OrderId, RecoveredRevenue = order.TotalPrice, RecoveredBy = step }, cancellationToken);
        return true;
    }

    public async IAsyncEnumerable<RecoveryOutcome> ForStoreAsync(string storeId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName);
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {storeId}"), cancellationToken: cancellationToken))
        {
            yield return FromRow(row);
        }
    }

    /// <summary>Deletes a customer's outcomes: their flow ids start with the customer's instance id.</summary>
    public async Task EraseAsync(string storeId, string instanceId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableName);
        var prefix = StorageKeys.Escape(instanceId + ".");
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and RowKey ge {prefix} and RowKey lt {prefix + "\uffff"}");
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            await table.DeleteEntityAsync(storeId, row.RowKey, ETag.All, cancellationToken);
        }
    }

    private static TableEntity ToRow(RecoveryOutcome o) => new(o.StoreId, StorageKeys.Escape(o.FlowId))
    {
        ["FlowId"] = o.FlowId,
        ["CustomerKey"] = o.CustomerKey,
        ["State"] = o.State,
        ["EndReason"] = o.EndReason,
        ["StartedAt"] = o.StartedAt,
        ["EndedAt"] = o.EndedAt,
        ["Currency"] = o.Currency,
        ["ReminderSentAt"] = o.ReminderSentAt,
        ["CouponCode"] = o.CouponCode,
        ["CouponEmailSentAt"] = o.CouponEmailSentAt,
        ["AttributionWindowSeconds"] = (long)o.AttributionWindow.TotalSeconds,
        ["RecoveredOrderId"] = o.RecoveredOrderId,
        ["RecoveredRevenue"] = o.RecoveredRevenue is { } r ? (double)r : null,
        ["RecoveredBy"] = o.RecoveredBy,
    };

    private static RecoveryOutcome FromRow(TableEntity r) => new(
        r.PartitionKey,
        r.GetString("FlowId") ?? r.RowKey,
        r.GetString("CustomerKey") ?? "",
        r.GetString("State") ?? "",
        r.GetString("EndReason") ?? "",
        r.GetDateTimeOffset("StartedAt") ?? default,
        r.GetDateTimeOffset("EndedAt") ?? default,
        r.GetString("Currency") ?? "",
        r.GetDateTimeOffset("ReminderSentAt"),
        r.GetString("CouponCode"),
        r.GetDateTimeOffset("CouponEmailSentAt"),
        TimeSpan.FromSeconds(r.GetInt64("AttributionWindowSeconds") ?? 0),
        r.GetInt64("RecoveredOrderId"),
        r.GetDouble("RecoveredRevenue") is { } revenue ? (decimal)revenue : null,
        r.GetString("RecoveredBy"));
}
