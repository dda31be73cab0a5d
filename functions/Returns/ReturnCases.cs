using System.Security.Cryptography;
using System.Text;
using Automation.Runtime;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;

namespace Automation.Returns;

/// <summary>Everything about one return: what was asked, the order as the platform showed it, and the decision.</summary>
// WARNING: stored as JSON in the Returns table and read back by the return flow's activities; add properties, never rename.
public sealed record ReturnCase
{
    public required string StoreId { get; init; }
    public required string Rma { get; init; }
    public required string RequestKey { get; init; }
    public required ReturnRequest Request { get; init; }
    public required ReturnOrder Order { get; init; }
    public required string CustomerEmail { get; init; }
    public required ReturnDecision Decision { get; init; }
    public string? WarehouseId { get; init; }
    public string? RoutedBecause { get; init; }
    public int SchemaVersion { get; init; } = 1;

    [System.Text.Json.Serialization.JsonIgnore]
    public IEnumerable<(ReturnItem Item, OrderLine Line)> Lines =>
        Request.Items.Select(i => (i, Order.Line(i.LineItemId) ?? new OrderLine(i.LineItemId, $"Item {i.LineItemId}", null, i.Quantity, 0)));
}

/// <summary>
/// The Returns table: one row per RMA (PartitionKey store, RowKey RMA). The RMA is derived from the order and the
/// items, so the same request twice finds the same row and nothing is done twice.
/// </summary>
public sealed class ReturnCases(StorageClients storage)
{
    public const string Table = "Returns";

    /// <summary>Row <c>Status</c>: decided, its flow still running.</summary>
    public const string Decided = "Decided";

    /// <summary>Row <c>Status</c>: every step of the decision carried out.</summary>
    public const string Done = "Done";

    /// <summary>Row <c>Status</c>: the flow stopped before the end; <c>Problem</c> says where and why.</summary>
    public const string NeedsAttention = "NeedsAttention";

    /// <summary>A short, readable, deterministic RMA: <c>RMA-</c> and eight Crockford base-32 characters.</summary>
    public static string RmaFor(string storeId, string requestKey)
    {
        const string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(storeId + "\n" + requestKey));
        var value = BitConverter.ToUInt64(hash, 0);
        var builder = new StringBuilder("RMA-", 12);
        for (var i = 0; i < 8; i++)
        {
            builder.Append(alphabet[(int)(value & 31)]);
            value >>= 5;
        }

        return builder.ToString();
    }

    /// <summary>Same order and same items (in any order) → same key, whatever the reason or wish.</summary>
    public static string RequestKeyFor(long orderId, IEnumerable<ReturnItem> items) =>
        $"order:{orderId}:" + string.Join(',', items.OrderBy(i => i.LineItemId).Select(i => $"{i.LineItemId}x{i.Quantity}"));

    public static string CustomerKey(string email) => StorageKeys.Hash("customer:" + email.Trim().ToLowerInvariant());

    public async Task<ReturnCase?> GetAsync(string storeId, string rma, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rma, cancellationToken: cancellationToken);
        return row.HasValue ? Read(row.Value!) : null;
    }

    /// <summary>Adds the case; if another attempt added it first, returns that one and false.</summary>
    public async Task<(ReturnCase Case, bool Created)> AddAsync(ReturnCase returnCase, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var row = new TableEntity(returnCase.StoreId, returnCase.Rma)
        {
            ["Case"] = System.Text.Json.JsonSerializer.Serialize(returnCase, Json.Options),
            ["Status"] = Decided,
            ["Outcome"] = returnCase.Decision.Outcome.ToString(),
            ["Rule"] = returnCase.Decision.Rule,
            ["Reason"] = returnCase.Decision.Reason,
            ["OrderId"] = returnCase.Order.OrderId,
            ["CustomerKey"] = CustomerKey(returnCase.CustomerEmail),
            ["CreatedAt"] = now,
        };
        try
        {
            await table.AddEntityAsync(row, cancellationToken);
            return (returnCase, true);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return ((await GetAsync(returnCase.StoreId, returnCase.Rma, cancellationToken))!, false);
        }
    }

    /// <summary>Replaces a case held for review with a person's decision; false if it was not (or no longer) in review.</summary>
    public async Task<bool> ReplaceReviewedAsync(ReturnCase decided, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(decided.StoreId, decided.Rma, cancellationToken: cancellationToken);
        if (!row.HasValue || row.Value!.GetString("Outcome") != nameof(ReturnOutcome.ManualReview)) return false;
        var update = new TableEntity(decided.StoreId, decided.Rma)
        {
            ["Case"] = System.Text.Json.JsonSerializer.Serialize(decided, Json.Options),
            ["Status"] = Decided,
            ["Outcome"] = decided.Decision.Outcome.ToString(),
            ["Rule"] = decided.Decision.Rule,
            ["Reason"] = decided.Decision.Reason,
        };
        try
        {
            await table.UpdateEntityAsync(update, row.Value.ETag, TableUpdateMode.Merge, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return false;
        }
    }

    /// <summary>The store's returns, newest first, optionally only one outcome (e.g. ManualReview).</summary>
    public async Task<List<TableEntity>> ListAsync(string storeId, string? outcome, int top, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var filter = outcome is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {storeId}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and Outcome eq {outcome}");
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["RowKey", "Status", "Problem", "Outcome", "Rule", "Reason", "OrderId", "CreatedAt", "RefundedAt"], cancellationToken: cancellationToken))
        {
            rows.Add(row);
        }

        return [.. rows.OrderByDescending(r => r.GetDateTimeOffset("CreatedAt")).Take(top)];
    }

    public async Task SetStatusAsync(string storeId, string rma, string status, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        await table.UpdateEntityAsync(new TableEntity(storeId, rma) { ["Status"] = status }, ETag.All, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>The row's <c>Status</c> (<see cref="Decided"/>, <see cref="Done"/>, <see cref="NeedsAttention"/>), or null if there is no row.</summary>
    public async Task<string?> GetStatusAsync(string storeId, string rma, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rma, ["Status"], cancellationToken);
        return row.HasValue ? row.Value!.GetString("Status") : null;
    }

    /// <summary>Marks a return whose flow stopped, with what stopped it, for the operator's list.</summary>
    public async Task FlagAsync(string storeId, string rma, string problem, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        await table.UpdateEntityAsync(new TableEntity(storeId, rma) { ["Status"] = NeedsAttention, ["Problem"] = problem }, ETag.All, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>Returns this customer asked for since <paramref name="since"/> (any outcome).</summary>
    public async Task<int> CountRecentAsync(string storeId, string email, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var key = CustomerKey(email);
        var count = 0;
        await foreach (var _ in table.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and CustomerKey eq {key} and CreatedAt ge {since}"), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            count++;
        }

        return count;
    }

    /// <summary>The cases for an order (to mark refunds) or for a customer (to erase on request).</summary>
    public async Task<List<(string Rma, long OrderId)>> FindAsync(string storeId, string? email, IReadOnlyCollection<long> orderIds, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var key = email is null ? null : CustomerKey(email);
        var found = new List<(string, long)>();
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {storeId}"), select: ["RowKey", "OrderId", "CustomerKey"], cancellationToken: cancellationToken))
        {
            var orderId = row.GetInt64("OrderId") ?? 0;
            if ((key is not null && row.GetString("CustomerKey") == key) || orderIds.Contains(orderId)) found.Add((row.RowKey, orderId));
        }

        return found;
    }

    public async Task MarkRefundedAsync(string storeId, string rma, long refundId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        await table.UpdateEntityAsync(new TableEntity(storeId, rma) { ["RefundId"] = refundId, ["RefundedAt"] = at }, ETag.All, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>Notes the platform's own id for a return we created there (Shopify's Return GID).</summary>
    public async Task LinkPlatformReturnAsync(string storeId, string rma, string platformReturnId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        await table.UpdateEntityAsync(new TableEntity(storeId, rma) { ["PlatformReturnId"] = platformReturnId }, ETag.All, TableUpdateMode.Merge, cancellationToken);
    }

    public async Task DeleteAsync(string storeId, string rma, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        await table.DeleteEntityAsync(storeId, rma, ETag.All, cancellationToken);
    }

    private static ReturnCase Read(TableEntity row) =>
        System.Text.Json.JsonSerializer.Deserialize<ReturnCase>(row.GetString("Case"), Json.Options)
        ?? throw new InvalidOperationException($"Return {row.RowKey} has no case.");
}
