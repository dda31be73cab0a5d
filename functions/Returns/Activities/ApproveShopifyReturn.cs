using Automation.Runtime;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Returns.Activities;

/// <summary>
/// Shopify <c>returnApproveRequest</c>; gives back the reverse fulfillment order the label goes on. After a crash
/// mid-call it first checks whether the return is already open.
/// </summary>
public sealed class ApproveShopifyReturn(ReturnStepRunner runner, ShopifyReturns shopify)
{
    [Function(nameof(ApproveShopifyReturn))]
    public Task<ReturnStepResult> Run([ActivityTrigger] ReturnStepInput input, CancellationToken cancellationToken) =>
        runner.RunAsync(nameof(ApproveShopifyReturn), input, async (step, ct) =>
        {
            var returnId = input.ShopifyReturnId ?? throw new PermanentFailureException($"Return {input.Rma} has no Shopify return to approve.");
            var reverseOrder = await shopify.ApproveReturnAsync(step.Store, step.Policy, step.Case, returnId, ct);
            return ReturnStepResult.Done($"Return {returnId} approved in Shopify.", reverseOrder);
        }, cancellationToken);
}
