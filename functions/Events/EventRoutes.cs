using Automation.Storage;

namespace Automation.Events;

/// <summary>
/// Which automation queues receive which events: the one place to read who consumes what. Azure queues are
/// competing consumers, so every consumer has its own queue.
/// </summary>
public static class EventRoutes
{
    public static IReadOnlyList<string> QueuesFor(StoreEvent storeEvent) => storeEvent switch
    {
        CheckoutEvent or CheckoutClosed => [QueueNames.AbandonedCartEvents],

        // Exits recovery flows and attributes revenue; feeds sales velocity for reorders.
        OrderPlaced => [QueueNames.AbandonedCartEvents, QueueNames.InventoryEvents],
        InventoryLevelChanged or ProductUpdated => [QueueNames.InventoryEvents],
        ReturnRequested or RefundCreated => [QueueNames.ReturnEvents],

        // Each automation erases what it holds about the customer; the compliance queue keeps the record.
        CustomerRedactRequested => [QueueNames.ComplianceEvents, QueueNames.AbandonedCartEvents, QueueNames.InventoryEvents, QueueNames.ReturnEvents],
        CustomerDataRequested or ShopRedactRequested => [QueueNames.ComplianceEvents],
        _ => throw new ArgumentOutOfRangeException(nameof(storeEvent), storeEvent.GetType().Name, "No route for this event: add it to EventRoutes."),
    };
}
