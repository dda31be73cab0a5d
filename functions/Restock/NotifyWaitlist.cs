using System.Globalization;
using Automation.Effects;
using Automation.Email;
using Automation.Events;
using Automation.Runtime;
using Automation.Inventory;
using Automation.Stores;

using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Restock;

/// <summary>Work item: tell the next batch of a variant's waitlist, for one restock episode.</summary>
// WARNING: message in flight on the waitlist-batches queue. Add properties only.
public sealed record WaitlistBatchDue(string StoreId, long VariantId, int Episode, int Batch);

/// <summary>
/// Trigger: a variant came back in stock (0 → more). Action: start telling its waitlist, batch by batch.
/// Runs after the out-of-stock automation has put the product back on sale (handlers run in registration order).
/// </summary>
public sealed class ActOnBackInStock(EffectLedger ledger, EventPublisher publisher) : IStockTransitionHandler
{
    public async Task HandleAsync(Store store, VariantStock variant, StockTransition transition, CancellationToken cancellationToken)
    {
        if (transition is not { Kind: StockTransitionKind.BackInStock, Location: null }) return;
        await ledger.RunOnceAsync(store.Id, "waitlist-start:" + transition.Key(variant.Key), async (_, ct) =>
        {
            await publisher.SendAsync(RestockRegistration.BatchesQueue, new WaitlistBatchDue(store.Id, variant.VariantId, transition.Episode, 1), null, ct);
            return "queued";
        }, cancellationToken);
    }
}

/// <summary>
/// Trigger: <c>waitlist-batches</c>. Condition: the variant is still in stock, in the same restock episode (re-checked
/// before every batch; a sell-out stops the run and the next restock resumes where it ended).
/// Action: email the next subscribers first-come first-served, as many as the stock allows (× subscribers per unit),
/// each exactly once (the email's idempotency key is the subscription), then wait the interval and do the next batch.
/// </summary>
public sealed class NotifyWaitlistBatch(
    StoreRegistry stores,
    InventoryView view,
    Waitlist waitlist,
    StoreSettings<InventoryOptions> inventorySettings,
    StoreSettings<RestockOptions> settings,
    IEmailSender email,
    EffectLedger ledger,
    EventPublisher publisher,
    ILogger<NotifyWaitlistBatch> logger)
{
    [Function(nameof(NotifyWaitlistBatch))]
    public Task Run([QueueTrigger(RestockRegistration.BatchesQueue)] QueueMessage message, CancellationToken cancellationToken) =>
        HandleAsync(message.Read<WaitlistBatchDue>(), cancellationToken);

    private async Task HandleAsync(WaitlistBatchDue message, CancellationToken cancellationToken)
    {
        var store = stores.Find(message.StoreId) ?? throw new PermanentFailureException($"Unknown store '{message.StoreId}'.");
        var options = settings.For(store.Id);
        var variant = await view.GetAsync(store.Id, message.VariantId, cancellationToken);
        var available = variant?.Available(inventorySettings.For(store.Id).OnlineLocations) ?? 0;
        if (variant is null || variant.State.SoldOut || variant.State.SoldOutEpisode != message.Episode || available <= 0)
        {
            logger.LogInformation("Store {StoreId} variant {VariantId}: waitlist run of episode {Episode} stops at batch {Batch} (sold out again or a newer restock)", store.Id, message.VariantId, message.Episode, message.Batch);
            return;
        }

        var size = (int)Math.Min(options.MaxBatchSize, Math.Ceiling(available * options.SubscribersPerUnit));
        var batch = await waitlist.NextAsync(store.Id, variant.VariantId, size, cancellationToken);
        await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = options.SendConcurrency, CancellationToken = cancellationToken }, async (entry, ct) =>
        {
            await email.SendAsync(Message(store, variant, entry, options), ct);
            await waitlist.RemoveAsync(entry, "Notified", ct);
        });
        logger.LogInformation("Store {StoreId} variant {VariantId}: waitlist batch {Batch} told {Count} subscriber(s) ({Available} available)", store.Id, variant.VariantId, message.Batch, batch.Count, available);

        if (batch.Count < size) return; // The list is empty.
        await ledger.RunOnceAsync(store.Id, $"waitlist-batch:{variant.Key}:{message.Episode}:{message.Batch + 1}", async (_, ct) =>
        {
            await publisher.SendAsync(RestockRegistration.BatchesQueue, message with { Batch = message.Batch + 1 }, options.BatchInterval, ct);
            return "queued";
        }, cancellationToken);
    }

    private static EmailMessage Message(Store store, VariantStock variant, WaitlistEntry entry, RestockOptions options)
    {
        var unsubscribe = options.PublicBaseUrl is { Length: > 0 } baseUrl ? WaitlistEndpoints.UnsubscribeUrl(baseUrl, entry) : null;
        var url = variant.Url is null ? null
            : store.Platform == Platform.Shopify && variant.ProductId != variant.VariantId ? $"{variant.Url}?variant={variant.VariantId.ToString(CultureInfo.InvariantCulture)}" : variant.Url;
        var model = new { name = variant.DisplayName, url, unsubscribe, first_name = entry.FirstName };
        var headers = new Dictionary<string, string>();
        if (unsubscribe is not null)
        {
            headers["List-Unsubscribe"] = $"<{unsubscribe}>";
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click";
        }

        // WARNING: this key is what makes each subscriber hear once; changing it would re-send to everyone in flight.
        return new EmailMessage(store.Id, $"waitlist:{Waitlist.Partition(store.Id, variant.VariantId)}:{entry.RowKey}", entry.Email,
            $"{variant.DisplayName} is back in stock", WaitlistTemplates.Html.Render(model, html: true), WaitlistTemplates.Text.Render(model))
        {
            Headers = headers,
        };
    }
}

internal static class WaitlistTemplates
{
    public static readonly LiquidTemplate Html = LiquidTemplate.Parse("""
        <p>{% if first_name %}Hi {{ first_name }},{% else %}Hi,{% endif %}</p>
        <p><strong>{{ name }}</strong> is back in stock. Stock is limited, so we are telling the waitlist in order of signup.</p>
        {% if url %}<p><a href="{{ url }}">Buy {{ name }}</a></p>{% endif %}
        {% if unsubscribe %}<p style="font-size:small"><a href="{{ unsubscribe }}">Unsubscribe</a> from this product's waitlist.</p>{% endif %}
        """);

    public static readonly LiquidTemplate Text = LiquidTemplate.Parse("""
        {% if first_name %}Hi {{ first_name }},{% else %}Hi,{% endif %}

        {{ name }} is back in stock. Stock is limited, so we are telling the waitlist in order of signup.
        {% if url %}Buy it here: {{ url }}{% endif %}
        {% if unsubscribe %}Unsubscribe: {{ unsubscribe }}{% endif %}
        """);
}
