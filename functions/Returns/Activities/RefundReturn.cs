using System.Globalization;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Returns.Activities;

/// <summary>
/// Refunds kept items when the store refunds automatically (WooCommerce: without the gateway unless the store turned
/// <c>api_refund</c> on). After a crash mid-call it first looks for the refund that call made, so nobody is refunded
/// twice. Shopify refunds are left to the merchant.
/// </summary>
public sealed class RefundReturn(ReturnStepRunner runner, ReturnsPlatforms platforms)
{
    [Function(nameof(RefundReturn))]
    public Task<ReturnStepResult> Run([ActivityTrigger] ReturnStepInput input, CancellationToken cancellationToken) =>
        runner.RunAsync(nameof(RefundReturn), input, async (step, ct) =>
        {
            var decision = step.Case.Decision;
            var amount = ReturnRules.Money(Math.Max(0, decision.ItemsValue - decision.Fee), step.Case.Order.Currency);
            return await platforms.For(step.Store).RefundAsync(step.Store, step.Policy, step.Case, ct)
                ? ReturnStepResult.Done(string.Create(CultureInfo.InvariantCulture, $"Refunded {amount}."))
                : ReturnStepResult.Skipped($"{step.Store.Platform} refunds are left to the merchant.");
        }, cancellationToken);
}
