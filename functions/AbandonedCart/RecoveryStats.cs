using Automation.Flows;
using Azure.Data.Tables;

namespace Automation.AbandonedCart;

public sealed record RecoveryStatsReport(
    string StoreId,
    int FlowsStarted,
    int FlowsActive,
    int FlowsCompleted,
    int FlowsExited,
    int FlowsSkipped,
    IReadOnlyDictionary<string, int> ExitReasons,
    int RemindersSent,
    int CouponEmailsSent,
    int EmailsSent,
    int CouponsIssued,
    int OrdersRecovered,
    IReadOnlyDictionary<string, decimal> RecoveredRevenue,
    IReadOnlyDictionary<string, int> RecoveredBy);

/// <summary>
/// The store's recovery figures, computed from the flow rows (so counting costs nothing while flows run;
/// reading them costs one partition scan, which is fine for an operator's page).
/// </summary>
public sealed class RecoveryStats(FlowEngine engine)
{
    public async Task<RecoveryStatsReport> ComputeAsync(string storeId, CancellationToken cancellationToken)
    {
        var table = await engine.TableAsync();
        int started = 0, active = 0, completed = 0, exited = 0, skipped = 0, reminders = 0, couponEmails = 0, coupons = 0, recovered = 0;
        var reasons = new Dictionary<string, int>();
        var revenue = new Dictionary<string, decimal>();
        var by = new Dictionary<string, int>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and Definition eq {AbandonedCheckoutFlow.Name}");
        await foreach (var row in table.QueryAsync<FlowInstance>(filter, cancellationToken: cancellationToken))
        {
            var status = row.StatusValue;
            if (status == FlowStatus.Skipped) { skipped++; continue; }
            started++;
            if (status == FlowStatus.Waiting) active++;
            if (status == FlowStatus.Completed) completed++;
            if (status == FlowStatus.Exited)
            {
                exited++;
                var reason = row.EndReason ?? "";
                reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
            }

            var state = FlowStateJson.Deserialize<RecoveryState>(row.State);
            if (state.ReminderSentAt is not null) reminders++;
            if (state.CouponEmailSentAt is not null) couponEmails++;
            if (state.CouponCode is not null) coupons++;
            if (state.RecoveredOrderId is not null)
            {
                recovered++;
                revenue[state.Currency] = revenue.GetValueOrDefault(state.Currency) + (state.RecoveredRevenue ?? 0);
                by[state.RecoveredBy ?? ""] = by.GetValueOrDefault(state.RecoveredBy ?? "") + 1;
            }
        }

        return new RecoveryStatsReport(storeId, started, active, completed, exited, skipped, reasons, reminders, couponEmails, reminders + couponEmails, coupons, recovered, revenue, by);
    }
}
