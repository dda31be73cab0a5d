using Microsoft.Azure.Functions.Worker;

namespace Automation.Returns.Activities;

/// <summary>
/// Shopify <c>returnRequest</c> for a self-service return, so the merchant sees it in the Shopify admin. After a
/// crash mid-call it first looks for the return that call made on the order.
/// </summary>
public sealed class RequestShopifyReturn(ReturnStepRunner runner, ShopifyReturns shopify)
{
    [Function(nameof(RequestShopifyReturn))]
    public Task<ReturnStepResult> Run([ActivityTrigger] ReturnStepInput input, CancellationToken cancellationToken) =>
        runner.RunAsync(nameof(RequestShopifyReturn), input, async (step, ct) =>
        {
            var returnId = await shopify.RequestReturnAsync(step.Store, step.Case, ct);
            return ReturnStepResult.Done($"Return {returnId} requested in Shopify.", returnId);
        }, cancellationToken);
}
