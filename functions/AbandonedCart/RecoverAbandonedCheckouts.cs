using Automation.Events;
using Automation.Runtime;
using Automation.Storage;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Automation.AbandonedCart;

/// <summary>Trigger: the <c>abandoned-cart-events</c> queue. Hands each event, and the Durable client, to <see cref="CheckoutRecovery"/>.</summary>
public sealed class RecoverAbandonedCheckouts(CheckoutRecovery recovery, ILogger<RecoverAbandonedCheckouts> logger)
{
    [Function(nameof(RecoverAbandonedCheckouts))]
    public async Task Run([QueueTrigger(QueueNames.AbandonedCartEvents)] QueueMessage message, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var storeEvent = message.Read<StoreEvent>();
        switch (storeEvent)
        {
            case CheckoutEvent checkout: await recovery.OnCheckoutAsync(client, checkout, cancellationToken); break;
            case OrderPlaced order: await recovery.OnOrderPlacedAsync(client, order, cancellationToken); break;
            case CheckoutClosed closed: await recovery.OnCheckoutClosedAsync(client, closed, cancellationToken); break;
            case CustomerRedactRequested redact: await recovery.OnCustomerRedactAsync(client, redact, cancellationToken); break;
            default:
                logger.LogDebug("{Type} is not for abandoned-cart recovery; ignored", storeEvent.GetType().Name);
                return;
        }

        logger.LogDebug("Abandoned-cart recovery handled {Type} {EventId} for store {StoreId}", storeEvent.GetType().Name, storeEvent.Id, storeEvent.StoreId);
    }
}
