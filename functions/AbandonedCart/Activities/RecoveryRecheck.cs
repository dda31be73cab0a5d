using Automation.Stores;

namespace Automation.AbandonedCart;

/// <summary>
/// The condition every action checks first, just before it acts: is this still worth sending? The store is still
/// configured and enabled, recovery is on for it, and the items can still be bought. (Orders, closed checkouts and
/// unsubscribes end the flow through its events; quiet hours are the orchestrator's.)
/// </summary>
public sealed class RecoveryRecheck(StoreRegistry stores, AbandonedCartSettings settings, ICheckoutStock stock)
{
    /// <summary>Why the flow should end now, or null to go on.</summary>
    public async Task<string?> StopReasonAsync(RecoveryState state, CancellationToken cancellationToken)
    {
        var store = stores.Find(state.StoreId);
        if (store is null) return "store is no longer configured";
        if (!store.AutomationsEnabled) return "store automations are disabled";
        if (!settings.For(store.Id).Enabled) return "abandoned-cart recovery is disabled for the store";
        if (!state.Settings.CheckStock) return null;

        var answer = await stock.CheckAsync(store, state.LineItems, cancellationToken);
        return answer.Available == false ? answer.Note : null;
    }
}
