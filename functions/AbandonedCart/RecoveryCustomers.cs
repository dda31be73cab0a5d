using System.Globalization;
using Automation.Events;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;

namespace Automation.AbandonedCart;

/// <summary>A customer as recovery knows them: consent withdrawn, last order, last flow, last skip (no email in clear).</summary>
public sealed record RecoveryCustomer(TableEntity Row)
{
    public bool Unsubscribed => Row.GetBoolean("Unsubscribed") == true;
    public DateTimeOffset? LastOrderAt => Row.GetDateTimeOffset("LastOrderAt");
    public DateTimeOffset? LastStartedAt => Row.GetDateTimeOffset("LastStartedAt");
    public string? LastStartEventId => Row.GetString("LastStartEventId");
    public string? LastCheckoutId => Row.GetString("LastCheckoutId");
    public string? LastFlowId => Row.GetString("LastFlowId");
    public DateTimeOffset? LastSkipAt => Row.GetDateTimeOffset("LastSkipAt");
    public string? LastSkipReason => Row.GetString("LastSkipReason");
    public int SkippedCount => Row.GetInt32("SkippedCount") ?? 0;

    public RecoveryOrder? LastOrder => Row.GetInt64("LastOrderId") is { } id && LastOrderAt is { } at
        ? new RecoveryOrder(id, Row.GetString("LastOrderNumber"), (decimal)(Row.GetDouble("LastOrderTotal") ?? 0), Row.GetString("LastOrderCurrency") ?? "",
            (Row.GetString("LastOrderDiscountCodes") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries), at)
        : null;
}

/// <summary>
/// The <c>RecoveryCustomers</c> table, one partition per store: <c>c-{customerKey}</c> (the customer, keyed by a hash of the
/// email), and pointers <c>id-{customerId}</c> and <c>co-{hash of checkout id}</c> to it, so an order without an email or a
/// closed checkout still finds the customer's flow. A start writes the customer and its pointers in one transaction.
/// </summary>
public sealed class RecoveryCustomers(StorageClients storage, TimeProvider time)
{
    public const string TableName = "RecoveryCustomers";

    public static string CustomerRow(string customerKey) => "c-" + customerKey;

    public static string CustomerIdRow(long customerId) => "id-" + customerId.ToString(CultureInfo.InvariantCulture);

    public static string CheckoutRow(string checkoutId) => "co-" + StorageKeys.Hash(checkoutId);

    public Task<TableClient> TableAsync() => storage.TableAsync(TableName);

    public async Task<RecoveryCustomer?> GetAsync(string storeId, string customerKey, CancellationToken cancellationToken)
    {
        var table = await TableAsync();
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, CustomerRow(customerKey), cancellationToken: cancellationToken);
        return row.HasValue ? new RecoveryCustomer(row.Value!) : null;
    }

    /// <summary>The customer a pointer row (<see cref="CustomerIdRow"/>, <see cref="CheckoutRow"/>) leads to.</summary>
    public async Task<string?> FindKeyAsync(string storeId, string pointerRow, CancellationToken cancellationToken)
    {
        var table = await TableAsync();
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, pointerRow, ["CustomerKey"], cancellationToken);
        return row.HasValue ? row.Value!.GetString("CustomerKey") : null;
    }

    /// <summary>A flow started (or took over) for this checkout: the cooldown counts from now.</summary>
    public async Task RecordStartAsync(RecoveryState state, CheckoutEvent checkout, CancellationToken cancellationToken)
    {
        var table = await TableAsync();
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.UpsertMerge, new TableEntity(state.StoreId, CustomerRow(state.CustomerKey))
            {
                ["LastStartedAt"] = time.GetUtcNow(),
                ["LastStartEventId"] = checkout.Id,
                ["LastCheckoutId"] = checkout.CheckoutId,
                ["LastFlowId"] = state.FlowId,
            }),
        };
        actions.AddRange(Pointers(state.StoreId, state.CustomerKey, checkout));
        await table.SubmitTransactionAsync(actions, cancellationToken);
    }

    /// <summary>A checkout the running flow takes in as an update: only its pointers are new.</summary>
    public async Task RecordCheckoutAsync(string storeId, string customerKey, CheckoutEvent checkout, CancellationToken cancellationToken)
    {
        var table = await TableAsync();
        await table.SubmitTransactionAsync(Pointers(storeId, customerKey, checkout), cancellationToken);
    }

    /// <summary>A start condition said no: kept on the customer, so an operator can see why nothing was sent.</summary>
    public async Task RecordSkipAsync(string storeId, string customerKey, CheckoutEvent checkout, RecoveryCustomer? customer, string reason, CancellationToken cancellationToken)
    {
        var table = await TableAsync();
        var row = new TableEntity(storeId, CustomerRow(customerKey))
        {
            ["LastSkipAt"] = time.GetUtcNow(),
            ["LastSkipReason"] = reason,
            ["LastSkipEventId"] = checkout.Id,
            ["SkippedCount"] = (customer?.SkippedCount ?? 0) + (customer?.Row.GetString("LastSkipEventId") == checkout.Id ? 0 : 1),
        };
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpsertMerge, row) };
        actions.AddRange(Pointers(storeId, customerKey, checkout));
        await table.SubmitTransactionAsync(actions, cancellationToken);
    }

    public async Task MarkUnsubscribedAsync(string storeId, string customerKey, CancellationToken cancellationToken)
    {
        var table = await TableAsync();
        var row = new TableEntity(storeId, CustomerRow(customerKey)) { ["Unsubscribed"] = true, ["UnsubscribedAt"] = time.GetUtcNow() };
        await table.UpsertEntityAsync(row, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>Remembers the customer's latest order: a checkout event that arrives after it starts nothing, and a flow that ends attributes it.</summary>
    public async Task RecordOrderAsync(string storeId, string customerKey, OrderPlaced order, CancellationToken cancellationToken)
    {
        var table = await TableAsync();
        var row = new TableEntity(storeId, CustomerRow(customerKey))
        {
            ["LastOrderAt"] = order.OccurredAt,
            ["LastOrderId"] = order.OrderId,
            ["LastOrderNumber"] = order.OrderNumber,
            ["LastOrderTotal"] = (double)order.TotalPrice,
            ["LastOrderCurrency"] = order.Currency,
            ["LastOrderDiscountCodes"] = string.Join(',', order.DiscountCodes),
        };
        await table.UpsertEntityAsync(row, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>Erases what recovery holds about a customer; an unsubscribed one keeps only the hashed suppression, so they are not emailed again.</summary>
    public async Task EraseAsync(string storeId, string customerKey, CancellationToken cancellationToken)
    {
        var table = await TableAsync();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and CustomerKey eq {customerKey}");
        await foreach (var pointer in table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            await table.DeleteEntityAsync(storeId, pointer.RowKey, ETag.All, cancellationToken);
        }

        if (await GetAsync(storeId, customerKey, cancellationToken) is not { } customer) return;
        if (customer.Unsubscribed)
        {
            await table.UpsertEntityAsync(new TableEntity(storeId, CustomerRow(customerKey)) { ["Unsubscribed"] = true }, TableUpdateMode.Replace, cancellationToken);
        }
        else
        {
            await table.DeleteEntityAsync(storeId, CustomerRow(customerKey), ETag.All, cancellationToken);
        }
    }

    private static IEnumerable<TableTransactionAction> Pointers(string storeId, string customerKey, CheckoutEvent checkout)
    {
        yield return new(TableTransactionActionType.UpsertReplace, new TableEntity(storeId, CheckoutRow(checkout.CheckoutId)) { ["CustomerKey"] = customerKey });
        if (checkout.CustomerId is { } id)
            yield return new(TableTransactionActionType.UpsertReplace, new TableEntity(storeId, CustomerIdRow(id)) { ["CustomerKey"] = customerKey });
    }
}
