using System.Globalization;
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

/// <summary>An item the customer asked to return that other returns of the order already claim.</summary>
public sealed record ClaimConflict(long LineItemId, string Title, int Ordered, int AlreadyClaimed, int Asked);

/// <summary>The items are already claimed by other returns of the order: nothing was recorded.</summary>
public sealed class ItemsAlreadyClaimedException(IReadOnlyList<ClaimConflict> conflicts)
    : Exception("Some items are already being returned: " + string.Join(", ", conflicts.Select(c => $"line {c.LineItemId} ({c.AlreadyClaimed} of {c.Ordered} claimed, {c.Asked} asked)")))
{
    public IReadOnlyList<ClaimConflict> Conflicts { get; } = conflicts;
}

/// <summary>
/// The Returns table, one partition per store. The RMA is derived from the order and the items, so the same request
/// twice finds the same row and nothing is done twice. Beside each case, written in the same transaction, index rows
/// let every read go by key:
/// <list type="bullet">
/// <item><c>{rma}</c> (<c>RMA-…</c>): the case;</item>
/// <item><c>list|{reverse ticks of CreatedAt}|{rma}</c>: newest first, with the summary the operator's list shows (kept in
/// step with the case on every change); also the time order the retention purge reads, oldest at the end;</item>
/// <item><c>order|{orderId}|{rma}</c>: an order's returns (refunds, erasure by order);</item>
/// <item><c>customer|{hash of email}|{reverse ticks}|{rma}</c>: a customer's returns, newest first (recent returns, erasure);</item>
/// <item><c>meta|indexed</c>: the cases written before these index rows existed have been indexed (once, on first use,
/// from a read of the case rows' key range);</item>
/// <item><c>claims|{orderId}</c>: which RMA claims how many of each order line. A return that is not declined claims its
/// items in the transaction that adds its case, conditional on the claims row's ETag, so two overlapping requests for the
/// same items cannot both be recorded. Open and completed returns keep their claim; a decline by an operator, an
/// erasure and the retention purge release it.</item>
/// </list>
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

    private const string IndexedMarker = "meta|indexed";

    /// <summary>What the list rows carry of the case (the operator's list reads only them).</summary>
    private static readonly string[] Summary = ["Status", "Problem", "Outcome", "Rule", "Reason", "OrderId", "CreatedAt", "RefundedAt"];

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _indexed = new(StringComparer.Ordinal);

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

    public static string ClaimsKey(long orderId) => "claims|" + orderId.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    // RMA rows only: "RMA-" up to (not including) "RMA." ('.' follows '-').
    private const string RmaFilter = "RowKey ge 'RMA-' and RowKey lt 'RMA.'";

    public static string CustomerKey(string email) => StorageKeys.Hash("customer:" + email.Trim().ToLowerInvariant());

    public static bool IsCase(string rowKey) => rowKey.StartsWith("RMA-", StringComparison.Ordinal);

    private static string ListRow(DateTimeOffset createdAt, string rma) => $"list|{StorageKeys.ReverseTicks(createdAt)}|{rma}";

    private static string OrderPrefix(long orderId) => $"order|{orderId.ToString(CultureInfo.InvariantCulture)}|";

    private static string CustomerPrefix(string customerKey) => $"customer|{customerKey}|";

    public async Task<ReturnCase?> GetAsync(string storeId, string rma, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rma, cancellationToken: cancellationToken);
        return row.HasValue ? Read(row.Value!) : null;
    }

    /// <summary>
    /// Adds the case with its index rows and, unless it is declined, its claim on the order's items, in one transaction.
    /// If another attempt added the case first, returns that one and false. Throws <see cref="ItemsAlreadyClaimedException"/>
    /// (and records nothing) when other returns of the order already claim the items.
    /// </summary>
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
        for (var attempt = 1; ; attempt++)
        {
            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, row) };
            actions.AddRange(IndexRows(row));
            if (returnCase.Decision.Outcome != ReturnOutcome.Declined)
            {
                var claims = await ReadClaimsAsync(table, returnCase.StoreId, returnCase.Order.OrderId, cancellationToken);
                var conflicts = Conflicts(claims.ByRma, returnCase);
                if (conflicts.Count > 0) throw new ItemsAlreadyClaimedException(conflicts);
                claims.ByRma[returnCase.Rma] = returnCase.Request.Items.ToDictionary(i => i.LineItemId, i => i.Quantity);
                actions.Add(claims.Write(returnCase.StoreId, returnCase.Order.OrderId));
            }

            try
            {
                await table.SubmitTransactionAsync(actions, cancellationToken);
                return (returnCase, true);
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 409 && ex.FailedTransactionActionIndex is null or 0)
            {
                return ((await GetAsync(returnCase.StoreId, returnCase.Rma, cancellationToken))!, false);
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 && attempt < 10)
            {
                // Another return of this order claimed meanwhile: read the claims again and check once more.
            }
        }
    }

    /// <summary>Takes an RMA's claim off its order (declined after review, erased), so the items can be returned again.</summary>
    public async Task ReleaseClaimAsync(string storeId, long orderId, string rma, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        for (var attempt = 1; ; attempt++)
        {
            var claims = await ReadClaimsAsync(table, storeId, orderId, cancellationToken);
            if (!claims.ByRma.Remove(rma)) return;
            try
            {
                // The last claim gone, the row goes too (nothing of the order is kept past its returns).
                if (claims.ByRma.Count == 0) await table.DeleteEntityAsync(storeId, ClaimsKey(orderId), claims.ETag ?? ETag.All, cancellationToken);
                else await table.SubmitTransactionAsync([claims.Write(storeId, orderId)], cancellationToken);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < 10)
            {
                // Another return of the order changed the claims meanwhile: read them again.
            }
        }
    }

    private static List<ClaimConflict> Conflicts(Dictionary<string, Dictionary<long, int>> byRma, ReturnCase returnCase)
    {
        var conflicts = new List<ClaimConflict>();
        foreach (var (item, line) in returnCase.Lines)
        {
            var claimed = byRma.Where(c => c.Key != returnCase.Rma).Sum(c => c.Value.GetValueOrDefault(item.LineItemId));
            if (claimed + item.Quantity > line.Quantity) conflicts.Add(new ClaimConflict(item.LineItemId, line.Title, line.Quantity, claimed, item.Quantity));
        }

        return conflicts;
    }

    private static async Task<Claims> ReadClaimsAsync(TableClient table, string storeId, long orderId, CancellationToken cancellationToken)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, ClaimsKey(orderId), cancellationToken: cancellationToken);
        if (!row.HasValue) return new Claims(new(StringComparer.Ordinal), null);
        var byRma = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, Dictionary<long, int>>>(row.Value!.GetString("Claims") ?? "{}", Json.Options) ?? [];
        return new Claims(new(byRma, StringComparer.Ordinal), row.Value.ETag);
    }

    /// <summary>The claims row as read: RMA → line item → quantity, and its ETag (null: no row yet).</summary>
    // WARNING: the Claims JSON is read back by every later return of the order; add fields, never rename.
    private sealed record Claims(Dictionary<string, Dictionary<long, int>> ByRma, ETag? ETag)
    {
        public TableTransactionAction Write(string storeId, long orderId)
        {
            var entity = new TableEntity(storeId, ClaimsKey(orderId))
            {
                ["Claims"] = System.Text.Json.JsonSerializer.Serialize(ByRma, Json.Options),
                ["OrderId"] = orderId,
            };
            return ETag is { } etag
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, etag)
                : new TableTransactionAction(TableTransactionActionType.Add, entity);
        }
    }

    /// <summary>Replaces a case held for review with a person's decision; false if it was not (or no longer) in review.</summary>
    public async Task<bool> ReplaceReviewedAsync(ReturnCase decided, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(decided.StoreId, decided.Rma, cancellationToken: cancellationToken);
        if (!row.HasValue || row.Value!.GetString("Outcome") != nameof(ReturnOutcome.ManualReview)) return false;
        await EnsureIndexedAsync(decided.StoreId, cancellationToken);
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
            await table.SubmitTransactionAsync([new(TableTransactionActionType.UpdateMerge, update, row.Value.ETag), SummaryUpdate(row.Value, update)], cancellationToken);
            // A held return claimed its items; declined, it gives them back.
            if (decided.Decision.Outcome == ReturnOutcome.Declined) await ReleaseClaimAsync(decided.StoreId, decided.Order.OrderId, decided.Rma, cancellationToken);
            return true;
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 412)
        {
            return false;
        }
    }

    /// <summary>The store's returns, newest first, optionally only one outcome (e.g. ManualReview): read from the list rows, by key.</summary>
    /// <returns>The list rows, each with <c>RowKey</c> set to its RMA, as the case rows would show them.</returns>
    public async Task<List<TableEntity>> ListAsync(string storeId, string? outcome, int top, CancellationToken cancellationToken)
    {
        await EnsureIndexedAsync(storeId, cancellationToken);
        var table = await storage.TableAsync(Table);
        var filter = outcome is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and RowKey ge 'list|' and RowKey lt 'list}}'")
            : TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and RowKey ge 'list|' and RowKey lt 'list}}' and Outcome eq {outcome}");
        var rows = new List<TableEntity>(top);
        await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: top, cancellationToken: cancellationToken))
        {
            row.RowKey = row.GetString("Rma") ?? row.RowKey;
            rows.Add(row);
            if (rows.Count == top) break;
        }

        return rows;
    }

    public Task SetStatusAsync(string storeId, string rma, string status, CancellationToken cancellationToken) =>
        UpdateAsync(new TableEntity(storeId, rma) { ["Status"] = status }, cancellationToken);

    /// <summary>The row's <c>Status</c> (<see cref="Decided"/>, <see cref="Done"/>, <see cref="NeedsAttention"/>), or null if there is no row.</summary>
    public async Task<string?> GetStatusAsync(string storeId, string rma, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rma, ["Status"], cancellationToken);
        return row.HasValue ? row.Value!.GetString("Status") : null;
    }

    /// <summary>Marks a return whose flow stopped, with what stopped it, for the operator's list.</summary>
    public Task FlagAsync(string storeId, string rma, string problem, CancellationToken cancellationToken) =>
        UpdateAsync(new TableEntity(storeId, rma) { ["Status"] = NeedsAttention, ["Problem"] = problem }, cancellationToken);

    /// <summary>Returns this customer asked for since <paramref name="since"/> (any outcome): a key range of their index rows.</summary>
    public async Task<int> CountRecentAsync(string storeId, string email, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await EnsureIndexedAsync(storeId, cancellationToken);
        var table = await storage.TableAsync(Table);
        var prefix = CustomerPrefix(CustomerKey(email));
        var count = 0;
        // Newest first: everything asked for since then sorts before the reverse ticks of then.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and RowKey ge {prefix} and RowKey lt {prefix + StorageKeys.ReverseTicks(since) + "}"}");
        await foreach (var _ in table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            count++;
        }

        return count;
    }

    /// <summary>The cases of a customer (by email) and of these orders, by key (to mark refunds, or to erase on request).</summary>
    public async Task<List<(string Rma, long OrderId)>> FindAsync(string storeId, string? email, IReadOnlyCollection<long> orderIds, CancellationToken cancellationToken)
    {
        await EnsureIndexedAsync(storeId, cancellationToken);
        var table = await storage.TableAsync(Table);
        var prefixes = orderIds.Select(OrderPrefix).ToList();
        if (!string.IsNullOrWhiteSpace(email)) prefixes.Add(CustomerPrefix(CustomerKey(email)));
        var found = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var prefix in prefixes)
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and RowKey ge {prefix} and RowKey lt {prefix + "\uffff"}");
            await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["Rma", "OrderId"], cancellationToken: cancellationToken))
            {
                if (row.GetString("Rma") is { } rma) found[rma] = row.GetInt64("OrderId") ?? 0;
            }
        }

        return [.. found.Select(f => (f.Key, f.Value))];
    }

    /// <summary>The returns created before <paramref name="cutoff"/>: the end of the newest-first list, by key.</summary>
    public async Task<List<string>> CreatedBeforeAsync(string storeId, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await EnsureIndexedAsync(storeId, cancellationToken);
        var table = await storage.TableAsync(Table);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and RowKey gt {"list|" + StorageKeys.ReverseTicks(cutoff)} and RowKey lt 'list}}'");
        var rmas = new List<string>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["Rma"], cancellationToken: cancellationToken))
        {
            if (row.GetString("Rma") is { } rma) rmas.Add(rma);
        }

        return rmas;
    }

    public Task MarkRefundedAsync(string storeId, string rma, long refundId, DateTimeOffset at, CancellationToken cancellationToken) =>
        UpdateAsync(new TableEntity(storeId, rma) { ["RefundId"] = refundId, ["RefundedAt"] = at }, cancellationToken);

    /// <summary>Notes the platform's own id for a return we created there (Shopify's Return GID).</summary>
    public async Task LinkPlatformReturnAsync(string storeId, string rma, string platformReturnId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        await table.UpdateEntityAsync(new TableEntity(storeId, rma) { ["PlatformReturnId"] = platformReturnId }, ETag.All, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>Deletes the case and its index rows.</summary>
    public async Task DeleteAsync(string storeId, string rma, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rma, ["PartitionKey", "RowKey", "CreatedAt", "OrderId", "CustomerKey"], cancellationToken);
        if (!row.HasValue) return;
        // Its claim first: the order's items can be returned again once the case is gone (erased, or past retention).
        if (row.Value!.GetInt64("OrderId") is { } orderId) await ReleaseClaimAsync(storeId, orderId, rma, cancellationToken);
        // Each delete answers 404 quietly when an index row is missing (a case written before they existed).
        foreach (var index in IndexRows(row.Value!)) await table.DeleteEntityAsync(storeId, index.Entity.RowKey, ETag.All, cancellationToken);
        await table.DeleteEntityAsync(storeId, rma, ETag.All, cancellationToken);
    }

    /// <summary>A change to the case, and to its list row when the change is part of the summary (one transaction).</summary>
    private async Task UpdateAsync(TableEntity change, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateMerge, change, ETag.All) };
        if (change.Keys.Any(Summary.Contains))
        {
            await EnsureIndexedAsync(change.PartitionKey, cancellationToken);
            var row = await table.GetEntityIfExistsAsync<TableEntity>(change.PartitionKey, change.RowKey, ["PartitionKey", "RowKey", "CreatedAt"], cancellationToken);
            if (row.HasValue) actions.Add(SummaryUpdate(row.Value!, change));
        }

        await table.SubmitTransactionAsync(actions, cancellationToken);
    }

    private static TableTransactionAction SummaryUpdate(TableEntity caseRow, TableEntity change)
    {
        var list = new TableEntity(caseRow.PartitionKey, ListRow(caseRow.GetDateTimeOffset("CreatedAt") ?? default, caseRow.RowKey));
        foreach (var (key, value) in change.Where(p => Summary.Contains(p.Key))) list[key] = value;
        return new TableTransactionAction(TableTransactionActionType.UpsertMerge, list);
    }

    /// <summary>The index rows of a case row (which must have CreatedAt, OrderId and CustomerKey).</summary>
    private static IEnumerable<TableTransactionAction> IndexRows(TableEntity caseRow)
    {
        var store = caseRow.PartitionKey;
        var rma = caseRow.RowKey;
        var createdAt = caseRow.GetDateTimeOffset("CreatedAt") ?? default;
        var orderId = caseRow.GetInt64("OrderId") ?? 0;
        var list = new TableEntity(store, ListRow(createdAt, rma)) { ["Rma"] = rma };
        foreach (var column in Summary) list[column] = caseRow.TryGetValue(column, out var value) ? value : null;
        yield return new(TableTransactionActionType.UpsertReplace, list);
        yield return new(TableTransactionActionType.UpsertReplace, new TableEntity(store, OrderPrefix(orderId) + rma) { ["Rma"] = rma, ["OrderId"] = orderId });
        if (caseRow.GetString("CustomerKey") is { } customerKey)
        {
            yield return new(TableTransactionActionType.UpsertReplace,
                new TableEntity(store, $"{CustomerPrefix(customerKey)}{StorageKeys.ReverseTicks(createdAt)}|{rma}") { ["Rma"] = rma, ["OrderId"] = orderId });
        }
    }

    /// <summary>
    /// Cases recorded before the index rows existed get them, once per store (a marker row says so): one read of the case
    /// rows' key range. Rows in flight keep being read meanwhile: a case is found by its RMA either way.
    /// </summary>
    private async Task EnsureIndexedAsync(string storeId, CancellationToken cancellationToken)
    {
        if (_indexed.ContainsKey(storeId)) return;
        var table = await storage.TableAsync(Table);
        if (!(await table.GetEntityIfExistsAsync<TableEntity>(storeId, IndexedMarker, ["RowKey"], cancellationToken)).HasValue)
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {storeId}") + " and " + RmaFilter;
            await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey", "CustomerKey", .. Summary], cancellationToken: cancellationToken))
            {
                await table.SubmitTransactionAsync(IndexRows(row), cancellationToken);
            }

            await table.UpsertEntityAsync(new TableEntity(storeId, IndexedMarker), TableUpdateMode.Replace, cancellationToken);
        }

        _indexed[storeId] = true;
    }

    private static ReturnCase Read(TableEntity row) =>
        System.Text.Json.JsonSerializer.Deserialize<ReturnCase>(row.GetString("Case"), Json.Options)
        ?? throw new InvalidOperationException($"Return {row.RowKey} has no case.");
}
