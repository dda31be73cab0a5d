using Automation.Returns.Labels;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Returns.Activities;

/// <summary>The label the customer sends the parcel with: made by the store's carrier, kept in Blob storage, once per RMA.</summary>
public sealed class IssueReturnLabel(ReturnStepRunner runner, ReturnLabels labels)
{
    [Function(nameof(IssueReturnLabel))]
    public Task<ReturnStepResult> Run([ActivityTrigger] ReturnStepInput input, CancellationToken cancellationToken) =>
        runner.RunAsync(nameof(IssueReturnLabel), input, async (step, ct) =>
        {
            var label = await labels.IssueAsync(step.Store, step.Policy, step.Case, ct);
            return ReturnStepResult.Done($"Label by {label.Carrier}, tracking {label.TrackingNumber}, to warehouse {step.Case.WarehouseId}.");
        }, cancellationToken);
}
