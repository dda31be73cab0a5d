using Automation.Returns.Labels;
using Automation.Runtime;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Returns.Activities;

/// <summary>
/// Shopify <c>reverseDeliveryCreateWithShipping</c>: our label's link and tracking number on the approved return.
/// After a crash mid-call it first looks for the reverse delivery that call made.
/// </summary>
public sealed class AttachReturnLabel(ReturnStepRunner runner, ReturnLabels labels, ShopifyReturns shopify)
{
    [Function(nameof(AttachReturnLabel))]
    public Task<ReturnStepResult> Run([ActivityTrigger] ReturnStepInput input, CancellationToken cancellationToken) =>
        runner.RunAsync(nameof(AttachReturnLabel), input, async (step, ct) =>
        {
            var returnId = input.ShopifyReturnId ?? throw new PermanentFailureException($"Return {input.Rma} has no Shopify return to attach the label to.");
            var label = await labels.IssueAsync(step.Store, step.Policy, step.Case, ct);
            var delivery = await shopify.AttachLabelAsync(step.Store, step.Case, returnId, input.ReverseFulfillmentOrderId, label, ct);
            return ReturnStepResult.Done($"Label and tracking {label.TrackingNumber} attached to Shopify return {returnId}.", delivery);
        }, cancellationToken);
}
