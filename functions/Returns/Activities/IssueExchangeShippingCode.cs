using Microsoft.Azure.Functions.Worker;

namespace Automation.Returns.Activities;

/// <summary>The exchange incentive: a single-use free-shipping code for the replacement order, made at the platform once per RMA.</summary>
public sealed class IssueExchangeShippingCode(ReturnStepRunner runner, ExchangeShippingCodes codes)
{
    [Function(nameof(IssueExchangeShippingCode))]
    public Task<ReturnStepResult> Run([ActivityTrigger] ReturnStepInput input, CancellationToken cancellationToken) =>
        runner.RunAsync(nameof(IssueExchangeShippingCode), input, async (step, ct) =>
        {
            var code = await codes.IssueAsync(step.Store, step.Policy, step.Case, ct);
            // The code itself stays out of the history: anyone holding it could use it.
            return ReturnStepResult.Done($"Single-use free-shipping code made, valid until {code.ExpiresAt:yyyy-MM-dd}.");
        }, cancellationToken);
}
