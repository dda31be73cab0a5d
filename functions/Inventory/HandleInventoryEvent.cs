using Automation.Events;
using Automation.Hosting;
using Automation.Shopify;
using Automation.Stores;

namespace Automation.Inventory;

/// <summary>
/// Trigger: <c>inventory-events</c>. Levels and products update the inventory view; the transitions that causes
/// (never the events themselves) go to the stock automations. Orders feed sales velocity; redact requests erase
/// waitlist entries.
/// </summary>
public sealed class HandleInventoryEvent(
    InventoryView view,
    InventoryItemMap inventoryItems,
    SalesHistory sales,
    StoreRegistry stores,
    IEnumerable<IStockTransitionHandler> handlers,
    IEnumerable<ICustomerDataEraser> erasers,
    ILogger<HandleInventoryEvent> logger) : QueueFunction<StoreEvent>
{
    protected override async Task RunAsync(StoreEvent message, QueueMessageContext context, CancellationToken cancellationToken)
    {
        if (stores.Find(message.StoreId) is not { } store)
        {
            throw new PermanentFailureException($"Event {message.Id} names unknown store '{message.StoreId}'.");
        }

        switch (message)
        {
            case InventoryLevelChanged level:
                // The map may have learnt the variant since translation (products/update arriving after the level).
                level = await inventoryItems.ResolveAsync(level, cancellationToken);
                if (level.VariantId is null)
                {
                    logger.LogInformation("Inventory item {InventoryItemId} of store {StoreId} is not mapped to a variant yet; level not applied", level.InventoryItemId, store.Id);
                    return;
                }

                if (await view.ApplyAsync(level, cancellationToken) is { } variant) await ActAsync(store, variant, cancellationToken);
                break;

            case ProductUpdated product:
                foreach (var changed in await view.ApplyAsync(product, cancellationToken)) await ActAsync(store, changed, cancellationToken);
                break;

            case OrderPlaced order:
                await sales.RecordAsync(order, cancellationToken);
                break;

            case CustomerRedactRequested redact:
                var erased = 0;
                foreach (var eraser in erasers) erased += await eraser.EraseAsync(store.Id, redact.Email, redact.CustomerId, cancellationToken);
                logger.LogInformation("Redact request {EventId} for store {StoreId}: {Count} inventory rows erased", redact.Id, store.Id, erased);
                break;
        }
    }

    private async Task ActAsync(Store store, VariantStock variant, CancellationToken cancellationToken)
    {
        if (variant.Pending.Count == 0) return;
        if (!store.AutomationsEnabled)
        {
            await view.CompleteAsync(variant, [.. variant.Pending], cancellationToken);
            return;
        }

        var done = new List<StockTransition>();
        foreach (var transition in variant.Pending.ToList())
        {
            foreach (var handler in handlers)
            {
                await handler.HandleAsync(store, variant, transition, cancellationToken);
            }

            done.Add(transition);
            logger.LogInformation("Store {StoreId} variant {VariantId}: {Transition} (episode {Episode}, available {Available})", store.Id, variant.VariantId, transition.Kind, transition.Episode, transition.Available);
        }

        await view.CompleteAsync(variant, done, cancellationToken);
    }
}
