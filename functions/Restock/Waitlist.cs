using System.Globalization;
using System.Security.Cryptography;
using Automation.Inventory;
using Automation.LowStock;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;

namespace Automation.Restock;

/// <summary>A subscriber waiting for a variant. <see cref="RowKey"/> sorts first-come first-served.</summary>
public sealed record WaitlistEntry(string StoreId, long VariantId, string RowKey, string Email, string Token, DateTimeOffset SubscribedAt, string? FirstName);

public enum SignupResult
{
    Added,
    AlreadyWaiting,
}

/// <summary>
/// The back-in-stock waitlist, one partition per store and variant (<c>{store}|{variant}</c>):
/// <list type="bullet">
/// <item><c>q|{ticks}|{emailHash}</c>: a waiting subscriber, in signup order (paged in order, never loaded whole);</item>
/// <item><c>e|{emailHash}</c>: the email's entry for this variant, so a repeated signup is the same subscription.</item>
/// </list>
/// Both rows are written in one entity-group transaction. A notified subscriber's queue row is removed, so the next
/// batch starts where the last one ended. <c>WaitlistByEmail</c> (<c>{store}</c> / <c>{emailHash}|{variant}</c>) finds a
/// person's entries for erasure.
/// </summary>
public sealed class Waitlist(StorageClients storage, TimeProvider time) : IWaitlistDemand, ICustomerDataEraser
{
    public const string Table = "Waitlist";
    public const string ByEmailTable = "WaitlistByEmail";

    public static string Partition(string storeId, long variantId) => $"{storeId}|{variantId.ToString(CultureInfo.InvariantCulture)}";

    public static string EmailHash(string email) => StorageKeys.Hash(email.Trim().ToLowerInvariant());

    public async Task<SignupResult> SubscribeAsync(string storeId, long variantId, string email, string? firstName, string consentText, string? source, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var partition = Partition(storeId, variantId);
        var hash = EmailHash(email);
        var now = time.GetUtcNow();
        var queueKey = $"q|{now.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}|{hash}";
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var entry = new TableEntity(partition, queueKey)
        {
            ["Email"] = email.Trim(),
            ["FirstName"] = firstName,
            ["Token"] = token,
            ["SubscribedAt"] = now,
            ["ConsentAt"] = now,
            ["ConsentText"] = consentText,
            ["Source"] = source,
        };
        var index = new TableEntity(partition, "e|" + hash) { ["Entry"] = queueKey, ["Status"] = "Waiting", ["SubscribedAt"] = now };

        var existing = await table.GetEntityIfExistsAsync<TableEntity>(partition, "e|" + hash, cancellationToken: cancellationToken);
        try
        {
            if (existing.HasValue && existing.Value!.GetString("Status") == "Waiting") return SignupResult.AlreadyWaiting;
            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, entry) };
            // A subscriber notified earlier may wait again (they missed the last batch): replace their finished entry.
            actions.Add(existing.HasValue
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, index, existing.Value!.ETag)
                : new TableTransactionAction(TableTransactionActionType.Add, index));
            await table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412)
        {
            return SignupResult.AlreadyWaiting;
        }

        var byEmail = await storage.TableAsync(ByEmailTable);
        await byEmail.UpsertEntityAsync(new TableEntity(storeId, $"{hash}|{variantId.ToString(CultureInfo.InvariantCulture)}"), TableUpdateMode.Replace, cancellationToken);
        return SignupResult.Added;
    }

    /// <summary>The next waiting subscribers, oldest first.</summary>
    public async Task<IReadOnlyList<WaitlistEntry>> NextAsync(string storeId, long variantId, int count, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var list = new List<WaitlistEntry>(Math.Min(count, 1000));
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(storeId, variantId)} and RowKey ge 'q|' and RowKey lt 'q}}'");
        await foreach (var page in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(count, 1000), select: ["RowKey", "Email", "Token", "SubscribedAt", "FirstName"], cancellationToken: cancellationToken).AsPages())
        {
            foreach (var row in page.Values)
            {
                list.Add(new WaitlistEntry(storeId, variantId, row.RowKey, row.GetString("Email") ?? "", row.GetString("Token") ?? "", row.GetDateTimeOffset("SubscribedAt") ?? default, row.GetString("FirstName")));
                if (list.Count == count) return list;
            }
        }

        return list;
    }

    /// <summary>
    /// The subscribers still waiting up to and including <paramref name="lastRowKey"/>, oldest first: what is left of a
    /// batch whose members were chosen earlier (later signups sort after it and are not included).
    /// </summary>
    public async Task<IReadOnlyList<WaitlistEntry>> WaitingThroughAsync(string storeId, long variantId, string lastRowKey, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var list = new List<WaitlistEntry>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(storeId, variantId)} and RowKey ge 'q|' and RowKey le {lastRowKey}");
        await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["RowKey", "Email", "Token", "SubscribedAt", "FirstName"], cancellationToken: cancellationToken))
        {
            list.Add(new WaitlistEntry(storeId, variantId, row.RowKey, row.GetString("Email") ?? "", row.GetString("Token") ?? "", row.GetDateTimeOffset("SubscribedAt") ?? default, row.GetString("FirstName")));
        }

        return list;
    }

    /// <summary>Takes a subscriber off the list once told (or unsubscribed); the email index says which.</summary>
    public async Task RemoveAsync(WaitlistEntry entry, string status, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var partition = Partition(entry.StoreId, entry.VariantId);
        var hash = entry.RowKey[(entry.RowKey.LastIndexOf('|') + 1)..];
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.Delete, new TableEntity(partition, entry.RowKey), ETag.All),
            new(TableTransactionActionType.UpsertMerge, new TableEntity(partition, "e|" + hash) { ["Status"] = status, ["FinishedAt"] = time.GetUtcNow() }),
        };
        try
        {
            await table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 404)
        {
            // Already removed by an earlier attempt.
        }
    }

    public async Task<WaitlistEntry?> FindAsync(string storeId, long variantId, string rowKey, CancellationToken cancellationToken)
    {
        if (!rowKey.StartsWith("q|", StringComparison.Ordinal)) return null;
        var table = await storage.TableAsync(Table);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Partition(storeId, variantId), rowKey, cancellationToken: cancellationToken);
        if (!row.HasValue) return null;
        var r = row.Value!;
        return new WaitlistEntry(storeId, variantId, r.RowKey, r.GetString("Email") ?? "", r.GetString("Token") ?? "", r.GetDateTimeOffset("SubscribedAt") ?? default, r.GetString("FirstName"));
    }

    public async Task<int> WaitingAsync(string storeId, long variantId, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        var count = 0;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(storeId, variantId)} and RowKey ge 'q|' and RowKey lt 'q}}'");
        await foreach (var page in table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["RowKey"], cancellationToken: cancellationToken).AsPages())
        {
            count += page.Values.Count;
        }

        return count;
    }

    public async Task<int> EraseAsync(string storeId, string? email, long? customerId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(email)) return 0;
        var hash = EmailHash(email);
        var byEmail = await storage.TableAsync(ByEmailTable);
        var table = await storage.TableAsync(Table);
        var erased = 0;
        await foreach (var link in byEmail.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and RowKey ge {hash + "|"} and RowKey lt {hash + "}"}"), cancellationToken: cancellationToken))
        {
            var partition = Partition(storeId, long.Parse(link.RowKey[(hash.Length + 1)..], CultureInfo.InvariantCulture));
            var index = await table.GetEntityIfExistsAsync<TableEntity>(partition, "e|" + hash, cancellationToken: cancellationToken);
            if (index.HasValue)
            {
                if (index.Value!.GetString("Entry") is { } entry)
                {
                    // Deleting a missing entity answers 404 without throwing.
                    if ((await table.DeleteEntityAsync(partition, entry, ETag.All, cancellationToken)).Status != 404) erased++;
                }

                await table.DeleteEntityAsync(partition, "e|" + hash, ETag.All, cancellationToken);
                erased++;
            }

            await byEmail.DeleteEntityAsync(link.PartitionKey, link.RowKey, ETag.All, cancellationToken);
        }

        return erased;
    }
}
