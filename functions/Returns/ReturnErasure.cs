using Automation.Flows;
using Automation.Retention;
using Automation.Returns.Labels;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace Automation.Returns;

/// <summary>
/// What goes when a return goes: its case and index rows, its label PDF and — on a customer's redaction — its flow's
/// Durable history. Returns are kept <c>Retention:ReturnDays</c> after they were asked for (the purge reads the oldest
/// end of the store's newest-first list, by key); their flows' history goes with <c>Retention:FlowDays</c>.
/// </summary>
public sealed class ReturnErasure(ReturnCases cases, LabelStorage labels, IOptions<RetentionOptions> retention) : IRetentionPurge
{
    public string Name => ReturnCases.Table;

    public async Task<int> PurgeAsync(string storeId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var expired = await cases.CreatedBeforeAsync(storeId, now.AddDays(-retention.Value.ReturnDays), cancellationToken);
        foreach (var rma in expired) await EraseAsync(storeId, rma, cancellationToken);
        return expired.Count;
    }

    /// <summary>The label first: a case whose erasure was interrupted can still be found, and its label with it.</summary>
    public async Task EraseAsync(string storeId, string rma, CancellationToken cancellationToken)
    {
        await labels.DeleteAsync(storeId, rma, cancellationToken);
        await cases.DeleteAsync(storeId, rma, cancellationToken);
    }

    /// <summary>Ends the return's flow if it still runs and purges its history (a redaction: nothing of the customer stays).</summary>
    public static Task EraseFlowAsync(DurableTaskClient client, string storeId, string rma, CancellationToken cancellationToken) =>
        client.EraseInstanceAsync(StartReturnFlow.InstanceId(storeId, rma), "erased on the customer's request", cancellationToken);
}
