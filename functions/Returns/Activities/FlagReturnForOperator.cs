using Microsoft.Azure.Functions.Worker;

namespace Automation.Returns.Activities;

/// <summary>
/// When the flow cannot finish (the platform refused a step, or a step kept failing past its retries): the return's
/// row says <c>NeedsAttention</c> with the problem, so it shows in the operator's list; nothing is dropped silently.
/// </summary>
public sealed class FlagReturnForOperator(ReturnStepRunner runner, ReturnCases cases, ILogger<FlagReturnForOperator> logger)
{
    [Function(nameof(FlagReturnForOperator))]
    public Task<ReturnStepResult> Run([ActivityTrigger] ReturnStepInput input, CancellationToken cancellationToken) =>
        runner.RunAsync(nameof(FlagReturnForOperator), input, async (_, ct) =>
        {
            var problem = input.Problem ?? "The return flow stopped.";
            await cases.FlagAsync(input.StoreId, input.Rma, problem, ct);
            logger.LogError("Return {Rma} for store {StoreId} needs an operator: {Problem}", input.Rma, input.StoreId, problem);
            return ReturnStepResult.Done("Return flagged for an operator.");
        }, cancellationToken);
}
