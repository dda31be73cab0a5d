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
/// The Returns table, one partition per store:
/// <list type="bullet">
/// <item>a row per RMA (RowKey <c>RMA-…</c>). The RMA is derived from the order and the items, so the same request
/// twice finds the same row and nothing is done twice;</item>
/// <item>a claims row per order (RowKey <c>claims|{orderId}</c>): which RMA claims how many of each order line. A return
/// that is not declined claims its items in the same entity-group transaction that adds its row, conditional on the
/// claims row's ETag, so two overlapping requests for the same items cannot both be recorded. Open and completed
/// returns keep their claim; a decline by an operator and an erasure release it.</item>
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

    public async Task<ReturnCase?> GetAsync(string storeId, string rma, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, rma, cancellationToken: cancellationToken);
        return row.HasValue ? Read(row.Value!) : null;
    }

    /// <summary>
    /// Adds the case and, unless it is declined, its claim on the order's items, in one transaction. If another attempt
    /// added the case first, returns that one and false. Throws <see cref="ItemsAlreadyClaimedException"/> (and records
    /// nothing) when other returns of the order already claim the items.
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
                await table.SubmitTransactionAsync([claims.Write(storeId, orderId)], cancellationToken);
                return;
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 && attempt < 10)
            {
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
            // A held return claimed its items; declined, it gives them back.
            if (decided.Decision.Outcome == ReturnOutcome.Declined) await ReleaseClaimAsync(decided.StoreId, decided.Order.OrderId, decided.Rma, cancellationToken);
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
            ? TableClient.CreateQueryFilter($"PartitionKey eq {storeId}") + " and " + RmaFilter
            : TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and Outcome eq {outcome}") + " and " + RmaFilter;
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
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {storeId}") + " and " + RmaFilter, select: ["RowKey", "OrderId", "CustomerKey"], cancellationToken: cancellationToken))
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
