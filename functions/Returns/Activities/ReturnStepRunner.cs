using Automation.Platforms;
using Automation.Runtime;
using Automation.Stores;

namespace Automation.Returns.Activities;

/// <summary>What a return activity works on: read fresh on every attempt, never carried in the orchestration's history.</summary>
public sealed record ReturnStep(Store Store, ReturnPolicy Policy, ReturnCase Case, ReturnStepInput Input);

/// <summary>
/// Around every return activity: reads the store, its return policy and the case, and sorts failures. One that no
/// retry fixes (<see cref="PermanentFailureException"/>, a platform's refusal) comes back as
/// <see cref="ReturnStepStatus.Refused"/> with its reason, so the flow stops and says why; any other is thrown, and
/// Durable retries the activity with the flow's retry policy.
/// </summary>
public sealed class ReturnStepRunner(StoreRegistry stores, ReturnPolicies policies, ReturnCases cases, ILogger<ReturnStepRunner> logger)
{
    public async Task<ReturnStepResult> RunAsync(string activity, ReturnStepInput input, Func<ReturnStep, CancellationToken, Task<ReturnStepResult>> step, CancellationToken cancellationToken)
    {
        try
        {
            var store = stores.Find(input.StoreId) ?? throw new PermanentFailureException($"Store {input.StoreId} is no longer configured.");
            var policy = policies.For(store.Id) ?? throw new PermanentFailureException($"Returns are no longer set up for store {store.Id}.");
            if (await cases.GetAsync(store.Id, input.Rma, cancellationToken) is not { } returnCase)
                return new ReturnStepResult(ReturnStepStatus.Gone, "The return no longer exists (erased on the customer's request).");

            return await step(new ReturnStep(store, policy, returnCase, input), cancellationToken);
        }
        catch (Exception ex) when (ex is PermanentFailureException or PlatformException { IsTransient: false })
        {
            logger.LogWarning("{Activity} for return {Rma} of store {StoreId} was refused: {Error}", activity, input.Rma, input.StoreId, ex.Message);
            return new ReturnStepResult(ReturnStepStatus.Refused, ex.Message);
        }
        catch (Exception ex)
        {
            logger.LogWarning("{Activity} for return {Rma} of store {StoreId} failed and will be retried: {Error}", activity, input.Rma, input.StoreId, $"{ex.GetType().Name}: {ex.Message}");
            throw;
        }
    }
}
