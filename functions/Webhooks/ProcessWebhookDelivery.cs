using Automation.Events;
using Automation.Runtime;
using Automation.Shopify;
using Automation.Storage;
using Automation.Stores;
using Automation.WooCommerce;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Webhooks;

/// <summary>
/// Queue-triggered on <c>webhook-deliveries</c>: keep the delivery (deduplicated), translate it, refuse stale
/// state, and publish our events to the automation queues.
/// </summary>
public sealed class ProcessWebhookDelivery(
    DeliveryLog log,
    ResourceVersions versions,
    InventoryItemMap inventoryItems,
    EventPublisher publisher,
    StorageClients storage,
    ILogger<ProcessWebhookDelivery> logger)
{
    private static readonly ShopifyWebhookTranslator Shopify = new();
    private static readonly WooCommerceWebhookTranslator WooCommerce = new();

    [Function(nameof(ProcessWebhookDelivery))]
    public Task Run([QueueTrigger(QueueNames.WebhookDeliveries)] QueueMessage message, CancellationToken cancellationToken) =>
        ProcessAsync(message.Read<WebhookDelivery>(), cancellationToken);

    private async Task ProcessAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        var body = await ReadBodyAsync(delivery, cancellationToken);
        IWebhookTranslator translator = delivery.Platform == Platform.Shopify ? Shopify : WooCommerce;
        var translation = translator.Translate(delivery, body);

        // Only a copy of a delivery whose first copy settled is a duplicate. One whose first copy failed (even into
        // poison) or died is processed; one that arrives while another copy holds the row waits for it to settle.
        var claim = await log.ClaimAsync(delivery, translation, body, cancellationToken);
        if (claim is null)
        {
            logger.LogInformation("Duplicate {Platform} {Topic} delivery for store {StoreId}: already settled", delivery.Platform, delivery.Topic, delivery.StoreId);
            return;
        }

        if (claim.PreviousStatus is { } previous)
        {
            logger.LogInformation("{Platform} {Topic} delivery for store {StoreId} taken over from an earlier copy that was {Status}", delivery.Platform, delivery.Topic, delivery.StoreId, previous);
        }

        if (translation.Outcome == TranslationOutcome.Unparseable)
        {
            // Kept with the reason, and straight to poison: no retry reads it differently.
            await log.SettleAsync(claim, DeliveryStatus.Unparseable, translation.Reason, 0, cancellationToken);
            throw new PermanentFailureException($"Unparseable {delivery.Platform} {delivery.Topic} delivery {delivery.Id} for store {delivery.StoreId}: {translation.Reason}");
        }

        try
        {
            await ActAsync(delivery, translation, claim, cancellationToken);
        }
        catch (Exception ex)
        {
            // The row says Failed with the exception's type only (messages can carry what a payload or a server said),
            // and the lease is free for the retry, or for a later copy once this one is in poison.
            await log.ReleaseAsync(claim, ex.GetType().Name, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Refuses stale state, publishes the events, and records how the delivery ended.</summary>
    private async Task ActAsync(WebhookDelivery delivery, Translation translation, DeliveryClaim claim, CancellationToken cancellationToken)
    {
        if (translation.Outcome == TranslationOutcome.Ignored)
        {
            if (translation.Version is not null) await versions.TryAdvanceAsync(delivery.StoreId, translation.Version, cancellationToken);
            await log.SettleAsync(claim, DeliveryStatus.Ignored, translation.Reason, 0, cancellationToken);
            logger.LogInformation("Kept {Platform} {Topic} delivery for store {StoreId}: {Reason}", delivery.Platform, delivery.Topic, delivery.StoreId, translation.Reason);
            return;
        }

        if (translation.Version is not null && !await versions.TryAdvanceAsync(delivery.StoreId, translation.Version, cancellationToken))
        {
            await log.SettleAsync(claim, DeliveryStatus.Stale, $"A newer {translation.Version.Key} than {translation.Version.UpdatedAt:O} is already held.", 0, cancellationToken);
            logger.LogInformation("Stale {Platform} {Topic} delivery for store {StoreId} ignored", delivery.Platform, delivery.Topic, delivery.StoreId);
            return;
        }

        foreach (var storeEvent in translation.Events)
        {
            var resolved = storeEvent;
            if (storeEvent is ProductUpdated product && delivery.Platform == Platform.Shopify)
            {
                await inventoryItems.RememberAsync(product, cancellationToken);
            }
            else if (storeEvent is InventoryLevelChanged level)
            {
                resolved = await inventoryItems.ResolveAsync(level, cancellationToken);
            }

            await publisher.PublishAsync(resolved, cancellationToken);
        }

        await log.SettleAsync(claim, DeliveryStatus.Processed, null, translation.Events.Count, cancellationToken);
        logger.LogInformation("{Platform} {Topic} delivery for store {StoreId} became {Count} event(s)", delivery.Platform, delivery.Topic, delivery.StoreId, translation.Events.Count);
    }

    private async Task<byte[]> ReadBodyAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        if (delivery.HasInlineBody) return delivery.InlineBodyBytes();
        if (delivery.BodyBlob is null) throw new PermanentFailureException($"Delivery {delivery.Id} has no body.");
        var container = await storage.ContainerAsync(BlobContainers.WebhookBodies);
        var content = await container.GetBlobClient(delivery.BodyBlob).DownloadContentAsync(cancellationToken);
        return content.Value.Content.ToArray();
    }
}
