using System.Globalization;
using Automation.Effects;
using Automation.Email;
using Automation.Inventory;
using Automation.Stores;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Restock.Activities;

/// <summary>Batch <see cref="Batch"/> of a restock's waitlist run, of <see cref="Size"/> subscribers.</summary>
// WARNING: activity input recorded in the history of running orchestrations. Add properties only.
public sealed record WaitlistBatch(string StoreId, long VariantId, int Episode, int Batch, int Size);

/// <summary>How many subscribers the batch had (fewer than its size: the list is empty), or why it told nobody.</summary>
// WARNING: activity output recorded in the history of running orchestrations. Add properties only.
public sealed record WaitlistBatchResult(int Told, string? StoppedBecause = null);

/// <summary>
/// Activity: re-checks the stock right before sending (a sell-out since the orchestrator's check stops the batch), then
/// emails the next subscribers first-come first-served, each exactly once (the email's idempotency key is the
/// subscription), and takes each off the list once told.
/// </summary>
public sealed class NotifyNextWaitlistBatch(
    StoreRegistry stores,
    InventoryView view,
    Waitlist waitlist,
    StoreSettings<InventoryOptions> inventorySettings,
    StoreSettings<RestockOptions> settings,
    IEmailSender email,
    EmailRenderer renderer,
    EffectLedger ledger,
    ILogger<NotifyNextWaitlistBatch> logger)
{
    [Function(nameof(NotifyNextWaitlistBatch))]
    public async Task<WaitlistBatchResult> Run([ActivityTrigger] WaitlistBatch batch, CancellationToken cancellationToken)
    {
        var store = stores.Find(batch.StoreId);
        var variant = store is null ? null : await view.GetAsync(store.Id, batch.VariantId, cancellationToken);
        var options = settings.For(batch.StoreId);
        if (WaitlistStock.Of(variant, inventorySettings.For(batch.StoreId), options).StopReason(batch.Episode) is { } stop)
        {
            logger.LogInformation("Store {StoreId} variant {VariantId}: waitlist batch {Batch} of restock {Episode} not sent: {Reason}", batch.StoreId, batch.VariantId, batch.Batch, batch.Episode, stop);
            return new WaitlistBatchResult(0, stop);
        }

        // Who is in the batch is decided once: a retry after a failure part-way tells the rest of the same batch, never
        // a fresh one, so a batch stays sized to the stock however often it is retried.
        IReadOnlyList<WaitlistEntry>? chosen = null;
        var members = BatchMembers.Parse(await ledger.RunOnceAsync(store!.Id, $"waitlist-batch-members:{variant!.Key}:{batch.Episode}:{batch.Batch}", async (_, ct) =>
        {
            chosen = await waitlist.NextAsync(store.Id, variant.VariantId, batch.Size, ct);
            return BatchMembers.Of(chosen).ToString();
        }, cancellationToken));
        var waiting = members.Count == 0 ? []
            : chosen ?? await waitlist.WaitingThroughAsync(store.Id, variant.VariantId, members.LastRowKey!, cancellationToken);

        await Parallel.ForEachAsync(waiting, new ParallelOptions { MaxDegreeOfParallelism = options.SendConcurrency, CancellationToken = cancellationToken }, async (entry, ct) =>
        {
            await email.SendAsync(await WaitlistEmails.BackInStockAsync(renderer, store, variant, entry, options, ct), ct);
            await waitlist.RemoveAsync(entry, "Notified", ct);
        });
        logger.LogInformation("Store {StoreId} variant {VariantId}: waitlist batch {Batch} of restock {Episode} told {Count} subscriber(s) ({Sent} in this attempt)",
            store.Id, variant.VariantId, batch.Batch, batch.Episode, members.Count, waiting.Count);
        return new WaitlistBatchResult(members.Count);
    }

    /// <summary>A batch's membership as the effect ledger records it: how many, and the row key of the last (the list is in row key order).</summary>
    // WARNING: stored as the result of the batch's effect; a retry of a batch in flight parses it.
    private sealed record BatchMembers(int Count, string? LastRowKey)
    {
        public static BatchMembers Of(IReadOnlyList<WaitlistEntry> entries) => new(entries.Count, entries.Count == 0 ? null : entries[^1].RowKey);

        public static BatchMembers Parse(string? recorded)
        {
            var bar = recorded?.IndexOf('|', StringComparison.Ordinal) ?? -1;
            return bar < 0 ? new(0, null) : new(int.Parse(recorded![..bar], CultureInfo.InvariantCulture), recorded[(bar + 1)..] is { Length: > 0 } last ? last : null);
        }

        public override string ToString() => $"{Count.ToString(CultureInfo.InvariantCulture)}|{LastRowKey}";
    }
}
