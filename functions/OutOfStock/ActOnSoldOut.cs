using Automation.Email;
using Automation.Inventory;
using Automation.Stores;

namespace Automation.OutOfStock;

/// <summary>
/// Trigger: a variant's available quantity (over the locations that sell online) reached zero, or came back.
/// Condition: variants that sell when sold out are left as the merchant configured them unless the store opts in.
/// Action: per the store's choice stop selling it, hide the product when every variant is out, tag it "sold out",
/// and tell marketing to pause ads. Each change is recorded with the value it replaced; the restock reverses
/// exactly those changes, and nothing else.
/// </summary>
public sealed class ActOnSoldOut(
    StoreSettings<OutOfStockOptions> settings,
    InventoryView view,
    SoldOutEpisodes episodes,
    IStorefront storefront,
    IEmailSender email,
    EmailRenderer renderer,
    ILogger<ActOnSoldOut> logger) : IStockTransitionHandler
{
    public Task HandleAsync(Store store, VariantStock variant, StockTransition transition, CancellationToken cancellationToken) =>
        transition switch
        {
            { Location: not null } => Task.CompletedTask,
            { Kind: StockTransitionKind.SoldOut } => SoldOutAsync(store, variant, transition, settings.For(store.Id), cancellationToken),
            { Kind: StockTransitionKind.BackInStock } => BackInStockAsync(store, variant, transition, settings.For(store.Id), cancellationToken),
            _ => Task.CompletedTask,
        };

    /// <summary>Whether the automation treats the variant as sold out (not one the merchant lets sell on backorder).</summary>
    public static bool Applies(VariantStock variant, OutOfStockOptions options) => !variant.SellsWhenOutOfStock || options.StopSellingBackorderable;

    private async Task SoldOutAsync(Store store, VariantStock variant, StockTransition transition, OutOfStockOptions options, CancellationToken cancellationToken)
    {
        if (!Applies(variant, options))
        {
            logger.LogInformation("Store {StoreId} variant {VariantId} sells when sold out; left as configured", store.Id, variant.VariantId);
            return;
        }

        var row = await episodes.GetOrCreateAsync(store.Id, SoldOutEpisodes.EpisodeKey(variant, transition.Episode), cancellationToken);
        if (options.StopSellingBackorderable && variant.SellsWhenOutOfStock)
        {
            var stop = await episodes.RecordOnceAsync(row, "StopSelling", () => storefront.PlanStopSellingAsync(store, variant, cancellationToken), cancellationToken);
            if (stop is not null && row.GetBoolean("StopSellingApplied") != true)
            {
                await storefront.ApplyAsync(store, stop, cancellationToken);
                await episodes.SetAsync(row, "StopSellingApplied", true, cancellationToken);
            }
        }

        if (variant.ProductId is { } productId)
        {
            if (options.Tag.Length > 0 && row.GetBoolean("Tagged") != true)
            {
                await storefront.AddTagAsync(store, productId, options.Tag, cancellationToken);
                await episodes.SetAsync(row, "Tagged", true, cancellationToken);
            }

            if (options.HideWhenAllSoldOut)
            {
                var siblings = await view.ProductVariantsAsync(store.Id, productId, cancellationToken);
                if (siblings.All(s => s.VariantId == variant.VariantId || (s.State.SoldOut && Applies(s, options))))
                {
                    var product = await episodes.GetOrCreateAsync(store.Id, SoldOutEpisodes.ProductKey(productId), cancellationToken);
                    var hide = await episodes.RecordOnceAsync(product, "Hide", () => storefront.PlanHideProductAsync(store, productId, cancellationToken), cancellationToken);
                    if (hide is not null && product.GetBoolean("HideApplied") != true)
                    {
                        await storefront.ApplyAsync(store, hide, cancellationToken);
                        await episodes.SetAsync(product, "HideApplied", true, cancellationToken);
                    }
                }
            }
        }

        if (options.MarketingContacts.Count > 0)
        {
            var pause = await renderer.RenderAsync(store.Id, SoldOutEmails.SoldOut, new EmailSample(new SoldOutEmailModel(variant.DisplayName, variant.Sku ?? "(no SKU)", variant.Url, null)), cancellationToken);
            foreach (var contact in options.MarketingContacts)
            {
                await email.SendAsync(new EmailMessage(store.Id, $"sold-out:{transition.Key(variant.Key)}:{contact.ToLowerInvariant()}", contact,
                    pause.Subject, pause.Html, pause.Text), cancellationToken);
            }
        }

        if (options.MarketingContacts.Count > 0 && row.GetBoolean("MarketingNotified") != true) await episodes.SetAsync(row, "MarketingNotified", true, cancellationToken);
    }

    private async Task BackInStockAsync(Store store, VariantStock variant, StockTransition transition, OutOfStockOptions options, CancellationToken cancellationToken)
    {
        // Only what this episode did is reversed: no row, nothing was done.
        if (await episodes.FindAsync(store.Id, SoldOutEpisodes.EpisodeKey(variant, transition.Episode), cancellationToken) is not { } row) return;

        if (row.GetBoolean("StopSellingApplied") == true && SoldOutEpisodes.Parse(row.GetString("StopSelling")) is { } stop && row.GetBoolean("StopSellingUndone") != true)
        {
            if (!await storefront.UndoAsync(store, stop, cancellationToken))
                logger.LogInformation("Store {StoreId} variant {VariantId}: {Field} was changed by someone else meanwhile; left as it is", store.Id, variant.VariantId, stop.Field);
            await episodes.SetAsync(row, "StopSellingUndone", true, cancellationToken);
        }

        if (variant.ProductId is { } productId)
        {
            if (await episodes.FindAsync(store.Id, SoldOutEpisodes.ProductKey(productId), cancellationToken) is { } product)
            {
                if (product.GetBoolean("HideApplied") == true && SoldOutEpisodes.Parse(product.GetString("Hide")) is { } hide)
                {
                    await storefront.UndoAsync(store, hide, cancellationToken);
                }

                await episodes.DeleteAsync(product, cancellationToken);
            }

            if (row.GetBoolean("Tagged") == true && row.GetBoolean("Untagged") != true)
            {
                var siblings = await view.ProductVariantsAsync(store.Id, productId, cancellationToken);
                if (!siblings.Any(s => s.VariantId != variant.VariantId && s.State.SoldOut && Applies(s, options)))
                {
                    await storefront.RemoveTagAsync(store, productId, options.Tag, cancellationToken);
                }

                await episodes.SetAsync(row, "Untagged", true, cancellationToken);
            }
        }

        if (row.GetBoolean("MarketingNotified") == true)
        {
            var resume = await renderer.RenderAsync(store.Id, SoldOutEmails.BackInStock, new EmailSample(new SoldOutEmailModel(variant.DisplayName, variant.Sku ?? "(no SKU)", variant.Url, transition.Available)), cancellationToken);
            foreach (var contact in options.MarketingContacts)
            {
                await email.SendAsync(new EmailMessage(store.Id, $"back-in-stock:{transition.Key(variant.Key)}:{contact.ToLowerInvariant()}", contact,
                    resume.Subject, resume.Html, resume.Text), cancellationToken);
            }
        }
    }
}
