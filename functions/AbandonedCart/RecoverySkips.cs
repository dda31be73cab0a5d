using Automation.Flows;

namespace Automation.AbandonedCart;

/// <summary>
/// A checkout whose start conditions said no never becomes an orchestration; its reason is kept on the customer. The
/// flow endpoint shows it as a <c>Skipped</c> flow when it is newer than the customer's last instance.
/// </summary>
public sealed class RecoverySkips(RecoveryCustomers customers) : IFlowStatusSource
{
    public async Task<FlowView?> FindAsync(string storeId, string flowId, FlowView? instance, CancellationToken cancellationToken)
    {
        var prefix = RecoveryIds.InstancePrefix(storeId);
        if (!flowId.StartsWith(prefix, StringComparison.Ordinal)) return null;
        if (await customers.GetAsync(storeId, flowId[prefix.Length..], cancellationToken) is not { LastSkipAt: { } skippedAt, LastSkipReason: { } reason }) return null;
        if (instance is not null && instance.UpdatedAt > skippedAt) return null;

        return new FlowView(storeId, flowId, CheckoutRecoveryOrchestrator.Flow, CheckoutRecoveryOrchestrator.Version, nameof(FlowState.Skipped), "None",
            CheckoutRecoveryOrchestrator.StartStep, null, skippedAt, skippedAt, skippedAt, reason,
            [new FlowHistoryEntry(skippedAt, CheckoutRecoveryOrchestrator.StartStep, nameof(FlowState.Skipped), reason)]);
    }
}
