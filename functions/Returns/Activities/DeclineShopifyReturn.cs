using Automation.Runtime;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Returns.Activities;

/// <summary>
/// Shopify <c>returnDeclineRequest</c> for a return the customer asked for in Shopify, with the reason they will
/// read. After a crash mid-call it first checks whether the return is already declined.
/// </summary>
public sealed class DeclineShopifyReturn(ReturnStepRunner runner, ShopifyReturns shopify)
{
    [Function(nameof(DeclineShopifyReturn))]
    public Task<ReturnStepResult> Run([ActivityTrigger] ReturnStepInput input, CancellationToken cancellationToken) =>
        runner.RunAsync(nameof(DeclineShopifyReturn), input, async (step, ct) =>
        {
            var returnId = input.ShopifyReturnId ?? throw new PermanentFailureException($"Return {input.Rma} has no Shopify return to decline.");
            await shopify.DeclineReturnAsync(step.Store, step.Policy, step.Case, returnId, ct);
            return ReturnStepResult.Done($"Return {returnId} declined in Shopify ({step.Case.Decision.DeclineReason ?? DeclineReason.Other}).");
        }, cancellationToken);
}
