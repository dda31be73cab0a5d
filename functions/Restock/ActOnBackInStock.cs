using DurableTask.Core.Exceptions;
using Automation.Effects;
using Automation.Inventory;
using Automation.Stores;
using Microsoft.DurableTask;

namespace Automation.Restock;

/// <summary>
/// Trigger: a variant came back in stock (0 → more). Condition: someone is waiting for it. Action: start
/// <see cref="NotifyWaitlist.NotifyWaitlistV1"/> for this restock. Runs after the out-of-stock automation has put the
/// product back on sale (handlers run in registration order).
/// </summary>
public sealed class ActOnBackInStock(InvocationDurableClient durable, Waitlist waitlist, EffectLedger ledger, TimeProvider time, ILogger<ActOnBackInStock> logger)
    : IStockTransitionHandler
{
    public async Task HandleAsync(Store store, VariantStock variant, StockTransition transition, CancellationToken cancellationToken)
    {
        if (transition is not { Kind: StockTransitionKind.BackInStock, Location: null }) return;
        var run = new WaitlistRun(store.Id, variant.VariantId, transition.Episode, time.GetUtcNow());
        var instanceId = WaitlistRun.InstanceIdFor(store.Id, variant.VariantId, transition.Episode);
        var outcome = await ledger.RunOnceAsync(store.Id, "waitlist-start:" + transition.Key(variant.Key), async (prior, ct) =>
        {
            // Most restocked variants have nobody waiting: no orchestration for them.
            if ((await waitlist.NextAsync(store.Id, variant.VariantId, 1, ct)).Count == 0) return "nobody waiting";

            // An attempt that died may have started it already (and it may even have finished).
            if (prior == PriorAttempt.Unfinished && await durable.Client.GetInstanceAsync(instanceId, ct) is not null) return "started";
            try
            {
                await durable.Client.ScheduleNewOrchestrationInstanceAsync(nameof(NotifyWaitlist.NotifyWaitlistV1), run, new StartOrchestrationOptions(instanceId), ct);
            }
            catch (OrchestrationAlreadyExistsException)
            {
                // Started by another copy of this event: the same run.
            }

            return "started";
        }, cancellationToken);
        logger.LogInformation("Store {StoreId} variant {VariantId}: back in stock (restock {Episode}); waitlist run {InstanceId}: {Outcome}", store.Id, variant.VariantId, transition.Episode, instanceId, outcome);
    }
}
