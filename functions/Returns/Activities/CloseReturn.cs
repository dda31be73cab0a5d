using Microsoft.Azure.Functions.Worker;

namespace Automation.Returns.Activities;

/// <summary>The last step: the return's row says Done, for the operator's list.</summary>
public sealed class CloseReturn(ReturnStepRunner runner, ReturnCases cases, ILogger<CloseReturn> logger)
{
    [Function(nameof(CloseReturn))]
    public Task<ReturnStepResult> Run([ActivityTrigger] ReturnStepInput input, CancellationToken cancellationToken) =>
        runner.RunAsync(nameof(CloseReturn), input, async (step, ct) =>
        {
            await cases.SetStatusAsync(input.StoreId, input.Rma, ReturnCases.Done, ct);
            logger.LogInformation("Return {Rma} for store {StoreId} carried out ({Outcome})", input.Rma, input.StoreId, step.Case.Decision.Outcome);
            return ReturnStepResult.Done("Return marked done.");
        }, cancellationToken);
}
