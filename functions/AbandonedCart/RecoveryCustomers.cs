using System.Globalization;
using Automation.Events;
using Automation.Retention;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

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
/// closed checkout still finds the customer's flow; <c>cp-{customerKey}|{pointer}</c> lists the customer's pointers, so
/// erasing a customer finds them by key; and <see cref="DayIndex"/> rows for the retention purge. Every write is one
/// transaction of the customer, its pointers and its index row.
/// </summary>
public sealed class RecoveryCustomers(StorageClients storage, IOptions<RetentionOptions> retention, TimeProvider time) : IRetentionPurge
{
    public const string TableName = "RecoveryCustomers";

    public string Name => TableName;

    public static string CustomerRow(string customerKey) => "c-" + customerKey;

    public static string CustomerIdRow(long customerId) => "id-" + customerId.ToString(CultureInfo.InvariantCulture);

    public static string CheckoutRow(string checkoutId) => "co-" + StorageKeys.Hash(checkoutId);

    /// <summary>The row that lists <paramref name="pointerRow"/> among the customer's pointers.</summary>
    public static string PointerListRow(string customerKey, string pointerRow) => $"cp-{customerKey}|{pointerRow}";

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
        actions.Add(Indexed(state.StoreId, state.CustomerKey));
        await table.SubmitTransactionAsync(actions, cancellationToken);
    }

    /// <summary>A checkout the running flow takes in as an update: only its pointers are new.</summary>
    public async Task RecordCheckoutAsync(string storeId, string customerKey, CheckoutEvent checkout, CancellationToken cancellationToken)
    {
        var table = await TableAsync();
        await table.SubmitTransactionAsync([.. Pointers(storeId, customerKey, checkout), Indexed(storeId, customerKey)], cancellationToken);
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
        actions.Add(Indexed(storeId, customerKey));
        await table.SubmitTransactionAsync(actions, cancellationToken);
    }

    public async Task MarkUnsubscribedAsync(string storeId, string customerKey, CancellationToken cancellationToken)
    {
        var table = await TableAsync();
        var row = new TableEntity(storeId, CustomerRow(customerKey)) { ["Unsubscribed"] = true, ["UnsubscribedAt"] = time.GetUtcNow() };
        await table.SubmitTransactionAsync([new(TableTransactionActionType.UpsertMerge, row), Indexed(storeId, customerKey)], cancellationToken);
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
        await table.SubmitTransactionAsync([new(TableTransactionActionType.UpsertMerge, row), Indexed(storeId, customerKey)], cancellationToken);
    }

    /// <summary>
    /// Erases what recovery holds about a customer, by key: their pointers (listed under <c>cp-{customerKey}|</c>, plus the
    /// id and last checkout pointers by name, for rows written before that list existed), and their row. An unsubscribed
    /// customer keeps only the hashed suppression, so they are not emailed again.
    /// </summary>
    public async Task EraseAsync(string storeId, string customerKey, long? customerId, CancellationToken cancellationToken)
    {
        var table = await TableAsync();
        var customer = await GetAsync(storeId, customerKey, cancellationToken);
        await ErasePointersAsync(table, storeId, customerKey, cancellationToken);
        if (customerId is { } id) await DeletePointerAsync(table, storeId, customerKey, CustomerIdRow(id), cancellationToken);
        if (customer?.LastCheckoutId is { } checkoutId) await DeletePointerAsync(table, storeId, customerKey, CheckoutRow(checkoutId), cancellationToken);
        if (customer is null) return;
        if (customer.Unsubscribed)
        {
            await table.UpsertEntityAsync(new TableEntity(storeId, CustomerRow(customerKey)) { ["Unsubscribed"] = true }, TableUpdateMode.Replace, cancellationToken);
        }
        else
        {
            await table.DeleteEntityAsync(storeId, CustomerRow(customerKey), ETag.All, cancellationToken);
        }
    }

    /// <summary>
    /// Customers not active (no checkout, skip, order or unsubscribe written) for <c>Retention:RecoveryDays</c> are erased
    /// as on a redaction — an unsubscribed one down to the suppression, which is kept while the store is. Pointers
    /// written before they were listed expire on their own.
    /// </summary>
    public async Task<int> PurgeAsync(string storeId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = now.AddDays(-retention.Value.RecoveryDays);
        var table = await TableAsync();
        var purged = 0;
        await DayIndex.SweepAsync(table, storeId, cutoff, async (rowKey, ct) =>
        {
            var found = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rowKey, cancellationToken: ct);
            if (!found.HasValue) return null;
            var row = found.Value!;
            if (row.Timestamp is { } written && written >= cutoff) return written;
            if (rowKey.StartsWith("c-", StringComparison.Ordinal))
            {
                // An unsubscribed customer is trimmed to the suppression, which is then no longer indexed.
                await EraseAsync(storeId, rowKey[2..], null, ct);
            }
            else if (rowKey.StartsWith("cp-", StringComparison.Ordinal))
            {
                await table.DeleteEntityAsync(storeId, rowKey, ETag.All, ct);
            }
            else
            {
                await DeletePointerAsync(table, storeId, row.GetString("CustomerKey") ?? "", rowKey, ct);
            }

            purged++;
            return null;
        }, cancellationToken);
        return purged;
    }

    private static async Task ErasePointersAsync(TableClient table, string storeId, string customerKey, CancellationToken cancellationToken)
    {
        var prefix = $"cp-{customerKey}|";
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and RowKey ge {prefix} and RowKey lt {prefix + "\uffff"}");
        await foreach (var listed in table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            await DeletePointerAsync(table, storeId, customerKey, listed.RowKey[prefix.Length..], cancellationToken);
        }
    }

    /// <summary>Deletes a pointer if it still leads to this customer (a later checkout may have made it another's), and its listing.</summary>
    private static async Task DeletePointerAsync(TableClient table, string storeId, string customerKey, string pointerRow, CancellationToken cancellationToken)
    {
        var pointer = await table.GetEntityIfExistsAsync<TableEntity>(storeId, pointerRow, ["CustomerKey"], cancellationToken);
        if (pointer.HasValue && pointer.Value!.GetString("CustomerKey") == customerKey)
        {
            await table.DeleteEntityAsync(storeId, pointerRow, pointer.Value.ETag, cancellationToken);
        }

        await table.DeleteEntityAsync(storeId, PointerListRow(customerKey, pointerRow), ETag.All, cancellationToken);
    }

    private TableTransactionAction Indexed(string storeId, string customerKey) => DayIndex.Entry(storeId, time.GetUtcNow(), CustomerRow(customerKey));

    private static IEnumerable<TableTransactionAction> Pointers(string storeId, string customerKey, CheckoutEvent checkout)
    {
        var pointers = new List<string> { CheckoutRow(checkout.CheckoutId) };
        if (checkout.CustomerId is { } id) pointers.Add(CustomerIdRow(id));
        foreach (var pointer in pointers)
        {
            yield return new(TableTransactionActionType.UpsertReplace, new TableEntity(storeId, pointer) { ["CustomerKey"] = customerKey });
            yield return new(TableTransactionActionType.UpsertReplace, new TableEntity(storeId, PointerListRow(customerKey, pointer)));
        }
    }
}
