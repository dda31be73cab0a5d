using Automation.Events;
using Automation.Runtime;
using Automation.Shopify;
using Automation.Stores;
using Microsoft.Extensions.Options;

using Automation.Storage;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Automation.Inventory;

/// <summary>
/// Trigger: <c>inventory-events</c>. Levels and products update the inventory view; the transitions that causes
/// (never the events themselves) go to the stock automations, which may start an orchestration with this invocation's
/// Durable client. Orders feed sales velocity; redact requests erase waitlist entries.
/// </summary>
public sealed class HandleInventoryEvent(
    InventoryView view,
    InventoryItemMap inventoryItems,
    SalesHistory sales,
    StoreRegistry stores,
    InvocationDurableClient durable,
    IServiceProvider services,
    TimeProvider time,
    ILogger<HandleInventoryEvent> logger)
{
    /// <summary>
    /// The queue trigger's message lease (10 minutes in Functions, renewed while the function runs): a transition recorded
    /// longer ago than this by an event that has not finished belongs to a message whose process died.
    /// </summary>
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(10);

    [Function(nameof(HandleInventoryEvent))]
    public Task Run([QueueTrigger(QueueNames.InventoryEvents)] QueueMessage message, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        // The back-in-stock handler starts the waitlist orchestration; only a [DurableClient] parameter gets a client.
        durable.Client = client;
        return HandleAsync(message.Read<StoreEvent>(), cancellationToken);
    }

    private async Task HandleAsync(StoreEvent message, CancellationToken cancellationToken)
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

                if (await view.ApplyAsync(level, cancellationToken) is { } variant) await ActAsync(store, variant, level.Id, cancellationToken);
                break;

            case ProductUpdated product:
                foreach (var changed in await view.ApplyAsync(product, cancellationToken)) await ActAsync(store, changed, product.Id, cancellationToken);
                break;

            case OrderPlaced order:
                await sales.RecordAsync(order, cancellationToken);
                break;

            case CustomerRedactRequested redact:
                var erased = 0;
                foreach (var eraser in services.GetServices<ICustomerDataEraser>()) erased += await eraser.EraseAsync(store.Id, redact.Email, redact.CustomerId, cancellationToken);
                logger.LogInformation("Redact request {EventId} for store {StoreId}: {Count} inventory rows erased", redact.Id, store.Id, erased);
                break;
        }
    }

    /// <summary>
    /// Acts on the transitions this event recorded (a retry of the event finds them still pending), and on any that a
    /// message which died left behind; never on another live event's, so no effect runs twice at the same time.
    /// </summary>
    private async Task ActAsync(Store store, VariantStock variant, string eventId, CancellationToken cancellationToken)
    {
        var abandonedBefore = time.GetUtcNow() - AbandonedAfter;
        var mine = variant.Pending.Where(t => t.EventId == eventId || t.EventId is null || t.RecordedAt is null || t.RecordedAt < abandonedBefore).ToList();
        if (mine.Count == 0) return;

        // A variant's transitions are acted on in the order they happened: a restock must not undo a sell-out whose
        // effects another event is still carrying out. So while an earlier transition belongs to a live event, this
        // one waits (the message is retried) until that event has finished.
        var firstLive = variant.Pending.FindIndex(t => !mine.Contains(t));
        if (firstLive >= 0 && mine.Any(t => variant.Pending.IndexOf(t) > firstLive))
        {
            throw new InvalidOperationException($"Store {store.Id} variant {variant.VariantId}: an earlier {variant.Pending[firstLive].Kind} is still being acted on by another event; retrying after it.");
        }
        if (!store.AutomationsEnabled)
        {
            await view.CompleteAsync(variant, mine, cancellationToken);
            return;
        }

        // Resolved only when there is something to act on: most events change a level and nothing else.
        var handlers = services.GetServices<IStockTransitionHandler>().ToList();
        var done = new List<StockTransition>();
        foreach (var transition in mine)
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
