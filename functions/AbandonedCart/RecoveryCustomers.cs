using Automation.Flows;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;

namespace Automation.AbandonedCart;

/// <summary>
/// Who has (or had) a recovery flow, kept in the Flows table beside the flows (same partition, so a flow and its
/// customer row are written in one transaction). Row keys: <c>customer-{hash of email}</c> with the active and last
/// flow and the unsubscribe flag; <c>customerid-{id}</c> pointing at the customer's last flow (for orders without the email).
/// </summary>
public static class RecoveryCustomers
{
    public static string Key(string email) => StorageKeys.Hash(email.Trim().ToLowerInvariant());

    public static string CustomerRow(string customerKey) => "customer-" + customerKey;

    public static string CustomerIdRow(long customerId) => "customerid-" + customerId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The flow for a checkout: one per checkout, ever (a later event for it updates that flow).</summary>
    public static string FlowId(string storeId, string checkoutId) => "ac-" + StorageKeys.Hash(storeId + ":" + checkoutId);

    public static async Task<TableEntity?> GetAsync(TableClient table, string storeId, string rowKey, CancellationToken cancellationToken)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rowKey, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    /// <summary>The rows written with a new flow: the customer row (added, or replaced at its ETag) and the customer-id pointer.</summary>
    public static List<TableTransactionAction> ForStart(string storeId, string customerKey, long? customerId, string flowId, DateTimeOffset now, TableEntity? existing)
    {
        // Keep what the row already says (unsubscribe, last order); set the new flow.
        var customer = new TableEntity(storeId, CustomerRow(customerKey));
        foreach (var (name, value) in existing ?? [])
        {
            if (name is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag")) customer[name] = value;
        }

        customer["ActiveFlowId"] = flowId;
        customer["LastFlowId"] = flowId;
        customer["LastStartedAt"] = now;
        var actions = new List<TableTransactionAction>
        {
            existing is null
                ? new TableTransactionAction(TableTransactionActionType.Add, customer)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, customer, existing.ETag),
        };
        if (customerId is { } id)
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(storeId, CustomerIdRow(id)) { ["LastFlowId"] = flowId, ["CustomerKey"] = customerKey }));
        }

        return actions;
    }

    public static async Task MarkUnsubscribedAsync(TableClient table, string storeId, string customerKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var row = new TableEntity(storeId, CustomerRow(customerKey)) { ["Unsubscribed"] = true, ["UnsubscribedAt"] = now };
        await table.UpsertEntityAsync(row, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>Remembers the customer's latest order, so a checkout event that arrives after its order starts nothing.</summary>
    public static async Task RecordOrderAsync(TableClient table, string storeId, string customerKey, DateTimeOffset orderedAt, CancellationToken cancellationToken)
    {
        var row = new TableEntity(storeId, CustomerRow(customerKey)) { ["LastOrderAt"] = orderedAt };
        await table.UpsertEntityAsync(row, TableUpdateMode.Merge, cancellationToken);
    }
}
