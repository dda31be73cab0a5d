using System.Net.Http.Json;
using Automation.Effects;
using Automation.Email;
using Automation.Events;
using Automation.Inventory;
using Automation.Stores;

namespace Automation.LowStock;

/// <summary>
/// Trigger: a variant crossed below its low-stock threshold (or recovered).
/// Condition: only crossings, never every event; per-location crossings only alert.
/// Action: alert the operations contacts (email, optional Slack-compatible webhook), tag the product for a badge,
/// and queue a supplier reorder; on recovery, remove the tag when no other variant of the product is still low.
/// </summary>
public sealed class ActOnLowStock(
    StoreSettings<LowStockOptions> settings,
    StoreSettings<InventoryOptions> inventorySettings,
    InventoryView view,
    SalesHistory sales,
    PurchaseOrders purchaseOrders,
    IWaitlistDemand waitlist,
    IStorefront storefront,
    IEmailSender email,
    EmailRenderer renderer,
    EffectLedger ledger,
    EventPublisher publisher,
    IHttpClientFactory httpClients,
    TimeProvider time,
    ILogger<ActOnLowStock> logger) : IStockTransitionHandler
{
    public async Task HandleAsync(Store store, VariantStock variant, StockTransition transition, CancellationToken cancellationToken)
    {
        var options = settings.For(store.Id);
        var key = transition.Key(variant.Key);
        switch (transition.Kind)
        {
            case StockTransitionKind.BecameLow:
                await AlertAsync(store, variant, transition, options, key, cancellationToken);
                if (transition.Location is not null) return;
                if (options.Tag.Length > 0 && variant.ProductId is { } productId)
                {
                    await ledger.RunOnceAsync(store.Id, "low-stock-tag:" + key, async (_, ct) =>
                    {
                        await storefront.AddTagAsync(store, productId, options.Tag, ct);
                        return "tagged";
                    }, cancellationToken);
                }

                await ReorderAsync(store, variant, transition, options, cancellationToken);
                break;

            case StockTransitionKind.Recovered when transition.Location is null && options.Tag.Length > 0 && variant.ProductId is { } recoveredProductId:
                var siblings = await view.ProductVariantsAsync(store.Id, recoveredProductId, cancellationToken);
                if (siblings.Any(s => s.VariantId != variant.VariantId && s.State.Low)) return;
                await ledger.RunOnceAsync(store.Id, "low-stock-untag:" + key, async (_, ct) =>
                {
                    await storefront.RemoveTagAsync(store, recoveredProductId, options.Tag, ct);
                    return "untagged";
                }, cancellationToken);
                break;
        }
    }

    private async Task AlertAsync(Store store, VariantStock variant, StockTransition transition, LowStockOptions options, string key, CancellationToken cancellationToken)
    {
        var model = new LowStockAlertModel(variant.DisplayName, variant.Sku ?? "(no SKU)", transition.Available, transition.Threshold, transition.Location, variant.Url);
        if (options.OpsContacts.Count > 0)
        {
            var rendered = await renderer.RenderAsync(store.Id, LowStockEmails.Alert, new EmailSample(model), cancellationToken);
            foreach (var contact in options.OpsContacts)
            {
                await email.SendAsync(new EmailMessage(store.Id, $"low-stock:{key}:{contact.ToLowerInvariant()}", contact, rendered.Subject, rendered.Html, rendered.Text), cancellationToken);
            }
        }

        if (options.SlackWebhookUrl is { Length: > 0 } webhook)
        {
            await ledger.RunOnceAsync(store.Id, "low-stock-slack:" + key, async (_, ct) =>
            {
                using var http = httpClients.CreateClient(nameof(ActOnLowStock));
                using var response = await http.PostAsJsonAsync(webhook, new { text = LowStockEmails.SlackText(store.Id, model) }, ct);
                response.EnsureSuccessStatusCode();
                return ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }, cancellationToken);
        }
    }

    private async Task ReorderAsync(Store store, VariantStock variant, StockTransition transition, LowStockOptions options, CancellationToken cancellationToken)
    {
        if (variant.Sku is not { } sku || !options.Skus.TryGetValue(sku, out var supply) || !options.Suppliers.TryGetValue(supply.Supplier, out var supplier))
        {
            return;
        }

        var onOrder = await purchaseOrders.OnOrderAsync(store.Id, supply.Supplier, sku, cancellationToken);
        if (onOrder > 0)
        {
            logger.LogInformation("Store {StoreId}: SKU already on order with {Supplier}; no second purchase order", store.Id, supply.Supplier);
            return;
        }

        var velocity = await sales.UnitsPerDayAsync(store.Id, variant.VariantId, inventorySettings.For(store.Id).VelocityWindow, time.GetUtcNow(), cancellationToken);
        var waiting = await waitlist.WaitingAsync(store.Id, variant.VariantId, cancellationToken);
        var quantity = ReorderCalculator.SuggestedQuantity(new ReorderInput(
            velocity, supplier.LeadTime, options.DaysOfCover, transition.Available, onOrder, waiting,
            supply.MinimumOrderQuantity ?? supplier.MinimumOrderQuantity, supply.PackSize ?? supplier.PackSize));
        if (quantity == 0) return;

        var line = new PurchaseOrderLine(sku, variant.VariantId, variant.DisplayName, quantity, Math.Round(velocity, 2), transition.Available, waiting);
        if (await purchaseOrders.TryAddLineAsync(store.Id, supply.Supplier, line, cancellationToken))
        {
            // Whoever adds the line schedules the supplier's order; SKUs added within the window join it.
            await ledger.RunOnceAsync(store.Id, $"supplier-order-due:{supply.Supplier}:{transition.Key(variant.Key)}", async (_, ct) =>
            {
                await publisher.SendAsync(LowStockRegistration.SupplierOrdersQueue, new SupplierOrderDue(store.Id, supply.Supplier, transition.Key(variant.Key), time.GetUtcNow()), options.GroupingWindow, ct);
                return "queued";
            }, cancellationToken);
        }
    }
}

/// <summary>Work item: build and send the supplier's purchase order from the lines gathered in the grouping window.</summary>
// WARNING: message in flight on the supplier-orders queue. Add properties only.
public sealed record SupplierOrderDue(string StoreId, string Supplier, string Seed, DateTimeOffset RequestedAt);
