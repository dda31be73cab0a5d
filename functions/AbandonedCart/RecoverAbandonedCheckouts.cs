using Automation.Events;
using Automation.Runtime;

using Automation.Storage;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Automation.AbandonedCart;

/// <summary>Queue trigger on <c>abandoned-cart-events</c>: hands each event to <see cref="CheckoutRecovery"/>.</summary>
public sealed class RecoverAbandonedCheckouts(CheckoutRecovery recovery, ILogger<RecoverAbandonedCheckouts> logger)
{
    [Function(nameof(RecoverAbandonedCheckouts))]
    public Task Run([QueueTrigger(QueueNames.AbandonedCartEvents)] QueueMessage message, CancellationToken cancellationToken) =>
        HandleAsync(message.Read<StoreEvent>(), message.IsRetry(), cancellationToken);

    private async Task HandleAsync(StoreEvent message, bool isRetry, CancellationToken cancellationToken)
    {
        switch (message)
        {
            case CheckoutEvent checkout: await recovery.OnCheckoutAsync(checkout, isRetry, cancellationToken); break;
            case OrderPlaced order: await recovery.OnOrderPlacedAsync(order, cancellationToken); break;
            case CheckoutClosed closed: await recovery.OnCheckoutClosedAsync(closed, cancellationToken); break;
            case CustomerRedactRequested redact: await recovery.OnCustomerRedactAsync(redact, cancellationToken); break;
            default:
                logger.LogDebug("{Type} is not for abandoned-cart recovery; ignored", message.GetType().Name);
                return;
        }

        logger.LogDebug("Abandoned-cart recovery handled {Type} {EventId} for store {StoreId}", message.GetType().Name, message.Id, message.StoreId);
    }
}
