using Automation.Flows;
using Azure.Data.Tables;
using Microsoft.DurableTask.Client;

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
/// The store's recovery figures: ended flows from their outcome rows, running ones from their Durable status (what their
/// journal says they did so far), skipped checkouts from the customers' rows. Nothing extra is written while flows run;
/// reading costs a partition scan of each, which is fine for an operator's page.
/// </summary>
public sealed class RecoveryStats(RecoveryOutcomes outcomes, RecoveryCustomers customers)
{
    public async Task<RecoveryStatsReport> ComputeAsync(DurableTaskClient client, string storeId, CancellationToken cancellationToken)
    {
        int started = 0, active = 0, completed = 0, exited = 0, reminders = 0, couponEmails = 0, coupons = 0, recovered = 0;
        var reasons = new Dictionary<string, int>();
        var revenue = new Dictionary<string, decimal>();
        var by = new Dictionary<string, int>();

        await foreach (var outcome in outcomes.ForStoreAsync(storeId, cancellationToken))
        {
            started++;
            if (outcome.State == nameof(FlowState.Completed)) completed++;
            else
            {
                exited++;
                reasons[outcome.EndReason] = reasons.GetValueOrDefault(outcome.EndReason) + 1;
            }

            if (outcome.ReminderSentAt is not null) reminders++;
            if (outcome.CouponCode is not null) coupons++;
            if (outcome.CouponEmailSentAt is not null) couponEmails++;
            if (outcome.RecoveredOrderId is not null)
            {
                recovered++;
                revenue[outcome.Currency] = revenue.GetValueOrDefault(outcome.Currency) + (outcome.RecoveredRevenue ?? 0);
                by[outcome.RecoveredBy ?? ""] = by.GetValueOrDefault(outcome.RecoveredBy ?? "") + 1;
            }
        }

        var running = new OrchestrationQuery
        {
            InstanceIdPrefix = RecoveryIds.InstancePrefix(storeId),
            Statuses = [OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Suspended],
            FetchInputsAndOutputs = true,
        };
        await foreach (var instance in client.GetAllInstancesAsync(running).WithCancellation(cancellationToken))
        {
            var progress = instance.ReadCustomStatusAs<FlowProgress>();
            if (progress?.State != FlowState.Waiting) continue;
            started++;
            active++;
            // Only this run's own steps (a replacement carries its predecessor's history, which has its own outcome row).
            var own = progress.History.SkipWhile(h => h.At < progress.StartedAt).ToList();
            if (own.Any(h => h is { Step: CheckoutRecoveryOrchestrator.SendReminderStep, Outcome: "Done" })) reminders++;
            if (own.Any(h => h is { Step: CheckoutRecoveryOrchestrator.IssueCouponStep, Outcome: "Done" })) coupons++;
        }

        var skipped = 0;
        var table = await customers.TableAsync();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and RowKey ge 'c-' and RowKey lt 'c.'");
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["SkippedCount"], cancellationToken: cancellationToken))
        {
            skipped += row.GetInt32("SkippedCount") ?? 0;
        }

        return new RecoveryStatsReport(storeId, started, active, completed, exited, skipped, reasons, reminders, couponEmails, reminders + couponEmails, coupons, recovered, revenue, by);
    }
}
