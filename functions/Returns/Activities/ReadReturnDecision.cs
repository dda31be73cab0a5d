using Microsoft.Azure.Functions.Worker;

namespace Automation.Returns.Activities;

/// <summary>The decision as it stands now (an operator may have decided a held return since), as the steps it needs.</summary>
public sealed class ReadReturnDecision(ReturnStepRunner runner)
{
    [Function(nameof(ReadReturnDecision))]
    public Task<ReturnStepResult> Run([ActivityTrigger] ReturnStepInput input, CancellationToken cancellationToken) =>
        runner.RunAsync(nameof(ReadReturnDecision), input, (step, _) => Task.FromResult(Read(step)), cancellationToken);

    private static ReturnStepResult Read(ReturnStep step)
    {
        var decision = step.Case.Decision;
        var warehouse = step.Policy.Warehouses.FirstOrDefault(w => w.Id == step.Case.WarehouseId);
        var plan = new ReturnPlan(
            decision.Outcome,
            decision.Rule,
            step.Store.Platform,
            step.Case.Request.PlatformReturnId,
            Label: decision.Outcome == ReturnOutcome.Approved,
            ExchangeCode: ExchangeShippingCodes.Applies(decision),
            Refund: decision.Outcome == ReturnOutcome.KeepIt && step.Policy.RefundAutomatically,
            EmailWarehouse: decision.Outcome == ReturnOutcome.Approved && !string.IsNullOrWhiteSpace(warehouse?.Email));
        return ReturnStepResult.Done($"{decision.Outcome} by rule {decision.Rule}.") with { Plan = plan };
    }
}
