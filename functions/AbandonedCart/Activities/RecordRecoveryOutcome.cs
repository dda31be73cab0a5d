using Microsoft.Azure.Functions.Worker;

namespace Automation.AbandonedCart;

/// <summary>
/// Activity: keeps how the flow ended for the store's stats and later attribution. An order the flow did not hear of
/// (it arrived as the flow was ending) is attributed here from the customer's last order.
/// </summary>
public sealed class RecordRecoveryOutcome(RecoveryOutcomes outcomes, RecoveryCustomers customers)
{
    [Function(nameof(RecordRecoveryOutcome))]
    public async Task Run([ActivityTrigger] RecoveryOutcome outcome, CancellationToken cancellationToken)
    {
        if (outcome.RecoveredOrderId is null
            && (await customers.GetAsync(outcome.StoreId, outcome.CustomerKey, cancellationToken))?.LastOrder is { } order
            && RecoveryAttribution.WinningStep(outcome.ReminderSentAt, outcome.CouponEmailSentAt, outcome.CouponCode, outcome.AttributionWindow, order) is { } winner)
        {
            outcome = outcome with { RecoveredOrderId = order.OrderId, RecoveredRevenue = order.TotalPrice, RecoveredBy = winner };
        }

        await outcomes.RecordAsync(outcome, cancellationToken);
    }
}
