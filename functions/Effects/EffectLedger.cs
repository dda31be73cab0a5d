using Automation.Storage;
using Azure;
using Azure.Data.Tables;

namespace Automation.Effects;

/// <summary>How a previous attempt at the same effect ended, so the effect can reconcile (e.g. look the coupon up).</summary>
public enum PriorAttempt
{
    None,

    /// <summary>An earlier attempt started and did not record its end: it may or may not have happened.</summary>
    Unfinished,
}

/// <summary>
/// Side effects exactly once under at-least-once delivery. Every effect (email, coupon, tag, PO, label) has an
/// idempotency key; the ledger records "started" before the effect and "done" with its result after it. A retry
/// of a done effect returns the recorded result without repeating it; a retry after a crash between the two is
/// told so, and the effect reconciles with the outside world (a deterministic coupon code, a Message-Id).
/// </summary>
public sealed class EffectLedger(StorageClients storage, TimeProvider time)
{
    public async Task<string?> RunOnceAsync(string storeId, string idempotencyKey, Func<PriorAttempt, CancellationToken, Task<string?>> effect, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableNames.Effects);
        var rowKey = StorageKeys.Escape(idempotencyKey);
        var prior = PriorAttempt.None;
        var started = new TableEntity(storeId, rowKey)
        {
            ["Status"] = "Started",
            ["StartedAt"] = time.GetUtcNow(),
            ["Attempts"] = 1,
        };
        try
        {
            await table.AddEntityAsync(started, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            var existing = (await table.GetEntityAsync<TableEntity>(storeId, rowKey, cancellationToken: cancellationToken)).Value;
            if (existing.GetString("Status") == "Done")
            {
                return existing.GetString("Result");
            }

            prior = PriorAttempt.Unfinished;
            existing["Attempts"] = (existing.GetInt32("Attempts") ?? 1) + 1;
            await table.UpdateEntityAsync(existing, existing.ETag, TableUpdateMode.Merge, cancellationToken);
        }

        var result = await effect(prior, cancellationToken);
        var done = new TableEntity(storeId, rowKey)
        {
            ["Status"] = "Done",
            ["Result"] = result,
            ["CompletedAt"] = time.GetUtcNow(),
        };
        await table.UpdateEntityAsync(done, ETag.All, TableUpdateMode.Merge, cancellationToken);
        return result;
    }

    /// <summary>Whether an effect with this key has completed.</summary>
    public async Task<bool> IsDoneAsync(string storeId, string idempotencyKey, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableNames.Effects);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, StorageKeys.Escape(idempotencyKey), ["Status"], cancellationToken);
        return row.HasValue && row.Value!.GetString("Status") == "Done";
    }
}
