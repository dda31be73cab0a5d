using Automation.Runtime;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace Automation.Effects;

public sealed class EffectOptions
{
    public const string Section = "Effects";

    /// <summary>
    /// How long an attempt holds an effect before a retry may take it over. Longer than any one effect takes (an SMTP send,
    /// a platform call with its own timeouts and retries); after a crash, the effect resumes once it has run out.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>How a previous attempt at the same effect ended, so the effect can reconcile (e.g. look the coupon up).</summary>
public enum PriorAttempt
{
    None,

    /// <summary>An earlier attempt started and did not record its end (its process died): it may or may not have happened.</summary>
    Unfinished,
}

/// <summary>
/// Another copy of the same step holds the effect's lease right now (at-least-once delivery ran it twice at once).
/// Transient: the caller's retry finds the effect done, or the lease expired.
/// </summary>
public sealed class EffectInProgressException(string key, DateTimeOffset leaseUntil)
    : Exception($"Effect {key} is being performed by another attempt (lease until {leaseUntil:O}); retry later.")
{
    public DateTimeOffset LeaseUntil { get; } = leaseUntil;
}

/// <summary>
/// Side effects exactly once under at-least-once delivery. Every effect (email, coupon, tag, PO, label, platform call)
/// has an idempotency key (an orchestration's instance + step, a message's event, …). The ledger takes a lease on the
/// key before the effect and records "done" with its result after it:
/// <list type="bullet">
/// <item>a retry of a done effect returns the recorded result without repeating it;</item>
/// <item>a second copy that arrives while the first holds the lease is refused (<see cref="EffectInProgressException"/>),
/// so two concurrent copies can never both perform it;</item>
/// <item>a retry after a crash between the two (the lease ran out) takes the lease over and is told so
/// (<see cref="PriorAttempt.Unfinished"/>), and the effect reconciles with the outside world first.</item>
/// </list>
/// Two writes per effect: the lease (an insert) and the result.
/// </summary>
public sealed class EffectLedger(StorageClients storage, IOptions<EffectOptions> options, TimeProvider time)
{

    public async Task<string?> RunOnceAsync(string storeId, string idempotencyKey, Func<PriorAttempt, CancellationToken, Task<string?>> effect, CancellationToken cancellationToken,
        TimeSpan? lease = null)
    {
        var table = await storage.TableAsync(TableNames.Effects);
        var rowKey = StorageKeys.Escape(idempotencyKey);
        var now = time.GetUtcNow();
        var leaseUntil = now + (lease ?? options.Value.Lease);
        var prior = PriorAttempt.None;
        try
        {
            await table.AddEntityAsync(new TableEntity(storeId, rowKey)
            {
                ["Status"] = "Started",
                ["StartedAt"] = now,
                ["LeaseUntil"] = leaseUntil,
                ["Attempts"] = 1,
            }, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            var existing = (await table.GetEntityAsync<TableEntity>(storeId, rowKey, cancellationToken: cancellationToken)).Value;
            if (existing.GetString("Status") == "Done") return existing.GetString("Result");

            var held = existing.GetDateTimeOffset("LeaseUntil") ?? DateTimeOffset.MinValue;
            if (held > now) throw new EffectInProgressException(idempotencyKey, held);

            // The holder's lease ran out without a result: its process died. Take the lease over (at its ETag, so
            // of two retries racing for it only one wins) and reconcile.
            prior = PriorAttempt.Unfinished;
            existing["LeaseUntil"] = leaseUntil;
            existing["Attempts"] = (existing.GetInt32("Attempts") ?? 1) + 1;
            try
            {
                await table.UpdateEntityAsync(existing, existing.ETag, TableUpdateMode.Merge, cancellationToken);
            }
            catch (RequestFailedException conflict) when (conflict.Status == 412)
            {
                throw new EffectInProgressException(idempotencyKey, leaseUntil);
            }
        }

        var kind = Kind(idempotencyKey);
        string? result;
        using (var activity = AutomationTelemetry.Source.StartActivity("effect " + kind))
        {
            // The kind and store only: the rest of the key names a flow or a customer's hash, and is no one's business here.
            activity?.SetTag("effect.kind", kind);
            activity?.SetTag("store.id", storeId);
            activity?.SetTag("effect.reconciled", prior == PriorAttempt.Unfinished);
            result = await effect(prior, cancellationToken);
        }

        AutomationTelemetry.EffectPerformed(kind, storeId);
        await table.UpdateEntityAsync(new TableEntity(storeId, rowKey)
        {
            ["Status"] = "Done",
            ["Result"] = result,
            ["CompletedAt"] = time.GetUtcNow(),
        }, ETag.All, TableUpdateMode.Merge, cancellationToken);
        return result;
    }

    /// <summary>What kind of effect a key is for: its first segment (email, coupon, label, shopify, …).</summary>
    internal static string Kind(string idempotencyKey) => idempotencyKey.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon ? idempotencyKey[..colon] : "other";

    /// <summary>Whether an effect with this key has completed.</summary>
    public async Task<bool> IsDoneAsync(string storeId, string idempotencyKey, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableNames.Effects);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, StorageKeys.Escape(idempotencyKey), ["Status"], cancellationToken);
        return row.HasValue && row.Value!.GetString("Status") == "Done";
    }
}
