using System.Globalization;
using Automation.Email;
using Automation.Inventory;
using Automation.Stores;

namespace Automation.Restock;

/// <summary>The "back in stock" email to one subscriber (<c>Templates/back-in-stock.liquid</c>): product link, unsubscribe link and one-click headers.</summary>
internal static class WaitlistEmails
{
    public const string Template = "back-in-stock";

    public static IReadOnlyList<EmailTemplateDefinition> Templates =>
    [
        new(Template, "To a waitlist subscriber, when the product they signed up for is back in stock.", EmailAudience.Customer, Sample),
    ];

    public static async Task<EmailMessage> BackInStockAsync(EmailRenderer renderer, Store store, VariantStock variant, WaitlistEntry entry, RestockOptions options, CancellationToken cancellationToken)
    {
        var unsubscribe = options.PublicBaseUrl is { Length: > 0 } baseUrl ? WaitlistEndpoints.UnsubscribeUrl(baseUrl, entry) : null;
        var url = variant.Url is null ? null
            : store.Platform == Platform.Shopify && variant.ProductId != variant.VariantId ? $"{variant.Url}?variant={variant.VariantId.ToString(CultureInfo.InvariantCulture)}" : variant.Url;
        var model = new BackInStockEmailModel(entry.FirstName, variant.DisplayName, variant.Sku, url, unsubscribe, entry.SubscribedAt);
        var email = await renderer.RenderAsync(store.Id, Template, new EmailSample(model, entry.FirstName), cancellationToken);
        var headers = new Dictionary<string, string>();
        if (unsubscribe is not null)
        {
            headers["List-Unsubscribe"] = $"<{unsubscribe}>";
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click";
        }

        // WARNING: this key is what makes each subscriber hear once; changing it would re-send to everyone in flight.
        return new EmailMessage(store.Id, $"waitlist:{Waitlist.Partition(store.Id, variant.VariantId)}:{entry.RowKey}", entry.Email, email.Subject, email.Html, email.Text)
        {
            Headers = headers,
        };
    }

    private static EmailSample Sample(Store store)
    {
        var url = EmailSamples.ProductUrl(store, "blue-ceramic-mug", 8_123_456_789);
        if (store.Platform == Platform.Shopify) url += "?variant=44012345678901";
        var model = new BackInStockEmailModel("Ann", "Blue ceramic mug – 350 ml", "MUG-BLUE", url,
            $"{EmailSamples.AppBaseUrl}/api/stores/{store.Id}/waitlist/unsubscribe?v=11&s=sample&t=sample", EmailSamples.Day(store, -12));
        return new EmailSample(model, "Ann");
    }
}

/// <summary>What <c>back-in-stock</c> sees: <c>first_name</c>, <c>name</c>, <c>sku</c>, <c>url</c>, <c>unsubscribe_url</c>, <c>signed_up_at</c>.</summary>
public sealed record BackInStockEmailModel(string? FirstName, string Name, string? Sku, string? Url, string? UnsubscribeUrl, DateTimeOffset SignedUpAt)
{
    public string UnsubscribeNote => "Don't want to hear about this product?";
}
