namespace Automation.Inventory;

/// <summary>What happened to a variant's stock, computed against its previous level; automations act on these only.</summary>
public enum StockTransitionKind
{
    /// <summary>Available fell to or below the low-stock threshold (from above it).</summary>
    BecameLow,

    /// <summary>Available rose above the threshold again.</summary>
    Recovered,

    /// <summary>Available reached zero (or below, for products that sell when sold out).</summary>
    SoldOut,

    /// <summary>Available came back above zero.</summary>
    BackInStock,
}

/// <summary>
/// One transition. <see cref="Episode"/> counts how often the variant entered the state (low or sold out), so every
/// effect of a transition has a stable idempotency key (<c>{variant}:{kind}:{episode}</c>) and a restock can find the
/// episode whose effects it reverses. <see cref="Location"/> is null for the variant's total over online locations.
/// </summary>
// WARNING: stored in InventoryLevels rows (the pending-transition outbox). Add properties only.
public sealed record StockTransition(StockTransitionKind Kind, int Episode, int Available, int Threshold, DateTimeOffset At, string? Location = null)
{
    /// <summary>The event whose processing records the transition and acts on it (so two events never act on one transition at once).</summary>
    public string? EventId { get; init; }

    /// <summary>When it was recorded (our clock): a transition left behind by a message that died is picked up by a later event.</summary>
    public DateTimeOffset? RecordedAt { get; init; }

    public string Key(string variantKey) => Location is null
        ? $"{variantKey}:{Kind}:{Episode}"
        : $"{variantKey}@{Location}:{Kind}:{Episode}";
}

/// <summary>The state a variant (or one location of it) is in; transitions are changes of this state.</summary>
// WARNING: stored in InventoryLevels rows. Add properties only.
public sealed record StockState(bool Low = false, bool SoldOut = false, int LowEpisode = 0, int SoldOutEpisode = 0)
{
    /// <summary>
    /// The state for <paramref name="available"/> and the transitions that lead there. A variant never seen before
    /// starts in stock and not low, so the first level we learn of that is low or zero does alert.
    /// Low means at or below the threshold (WooCommerce's rule); a threshold below zero switches low stock off.
    /// </summary>
    /// <param name="location">Set for a per-location threshold: only low stock is tracked per location; sold out is the variant's total.</param>
    public (StockState State, IReadOnlyList<StockTransition> Transitions) Apply(int available, int threshold, DateTimeOffset at, string? location = null)
    {
        var transitions = new List<StockTransition>(2);
        var next = this;
        var low = threshold >= 0 && available <= threshold;
        var soldOut = location is null && available <= 0;

        if (soldOut && !SoldOut)
        {
            next = next with { SoldOut = true, SoldOutEpisode = SoldOutEpisode + 1 };
            transitions.Add(new(StockTransitionKind.SoldOut, next.SoldOutEpisode, available, threshold, at, location));
        }
        else if (!soldOut && SoldOut)
        {
            next = next with { SoldOut = false };
            transitions.Add(new(StockTransitionKind.BackInStock, next.SoldOutEpisode, available, threshold, at, location));
        }

        if (low && !Low)
        {
            next = next with { Low = true, LowEpisode = LowEpisode + 1 };
            transitions.Add(new(StockTransitionKind.BecameLow, next.LowEpisode, available, threshold, at, location));
        }
        else if (!low && Low)
        {
            next = next with { Low = false };
            transitions.Add(new(StockTransitionKind.Recovered, next.LowEpisode, available, threshold, at, location));
        }

        return (next, transitions);
    }
}
