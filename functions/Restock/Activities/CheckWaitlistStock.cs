using Automation.Inventory;
using Automation.Stores;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Restock.Activities;

/// <summary>A variant whose waitlist is being told.</summary>
// WARNING: activity input recorded in the history of running orchestrations. Add properties only.
public sealed record WaitlistVariant(string StoreId, long VariantId);

/// <summary>How fast a store tells its waitlist: read when a batch is due, so a changed setting applies from the next batch.</summary>
// WARNING: activity output recorded in the history of running orchestrations. Add properties only.
public sealed record WaitlistPacing(int MaxBatchSize, double SubscribersPerUnit, TimeSpan BatchInterval)
{
    /// <summary>As many subscribers as the stock can serve (× subscribers per unit, since not everyone buys), at most the largest batch.</summary>
    public int BatchSizeFor(int available) =>
        available <= 0 ? 0 : (int)Math.Min(MaxBatchSize, Math.Ceiling(available * SubscribersPerUnit));

    public static WaitlistPacing From(RestockOptions options) => new(options.MaxBatchSize, options.SubscribersPerUnit, options.BatchInterval);
}

/// <summary>A variant's stock as a waitlist run needs it: whether it still sells, in which restock, and how much.</summary>
// WARNING: activity output recorded in the history of running orchestrations. Add properties only.
public sealed record WaitlistStock(bool Known, bool SoldOut, int Episode, int Available, WaitlistPacing Pacing)
{
    public static WaitlistStock Of(VariantStock? variant, InventoryOptions inventory, RestockOptions restock) => variant is null
        ? new(false, false, 0, 0, WaitlistPacing.From(restock))
        : new(true, variant.State.SoldOut, variant.State.SoldOutEpisode, variant.Available(inventory.OnlineLocations) ?? 0, WaitlistPacing.From(restock));

    /// <summary>Why a run serving restock <paramref name="episode"/> must stop now, or null while it may go on.</summary>
    public string? StopReason(int episode) =>
        !Known ? WaitlistStopReasons.Unknown
        : SoldOut || Available <= 0 ? WaitlistStopReasons.SoldOutAgain
        : Episode != episode ? WaitlistStopReasons.NewerRestock
        : null;
}

/// <summary>Why a waitlist run ended early (shown as the flow's end reason).</summary>
public static class WaitlistStopReasons
{
    public const string SoldOutAgain = "sold out again; the next restock resumes where this run ended";
    public const string NewerRestock = "a newer restock began and tells the waitlist itself";
    public const string Unknown = "the store or variant is no longer known";
}

/// <summary>Activity: re-reads the variant's stock and the store's pacing before a batch.</summary>
public sealed class CheckWaitlistStock(StoreRegistry stores, InventoryView view, StoreSettings<InventoryOptions> inventorySettings, StoreSettings<RestockOptions> settings)
{
    [Function(nameof(CheckWaitlistStock))]
    public async Task<WaitlistStock> Run([ActivityTrigger] WaitlistVariant variant, CancellationToken cancellationToken)
    {
        var known = stores.Find(variant.StoreId) is not null ? await view.GetAsync(variant.StoreId, variant.VariantId, cancellationToken) : null;
        return WaitlistStock.Of(known, inventorySettings.For(variant.StoreId), settings.For(variant.StoreId));
    }
}
