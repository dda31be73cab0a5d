using System.Globalization;
using Automation.Email;
using Automation.Inventory;
using Automation.Stores;

namespace Automation.Restock;

/// <summary>The "back in stock" email to one subscriber: product link, unsubscribe link and one-click headers.</summary>
internal static class WaitlistEmails
{
    public static EmailMessage BackInStock(Store store, VariantStock variant, WaitlistEntry entry, RestockOptions options)
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
            $"{variant.DisplayName} is back in stock", Html.Render(model, html: true), Text.Render(model))
        {
            Headers = headers,
        };
    }

    private static readonly LiquidTemplate Html = LiquidTemplate.Parse("""
        <p>{% if first_name %}Hi {{ first_name }},{% else %}Hi,{% endif %}</p>
        <p><strong>{{ name }}</strong> is back in stock. Stock is limited, so we are telling the waitlist in order of signup.</p>
        {% if url %}<p><a href="{{ url }}">Buy {{ name }}</a></p>{% endif %}
        {% if unsubscribe %}<p style="font-size:small"><a href="{{ unsubscribe }}">Unsubscribe</a> from this product's waitlist.</p>{% endif %}
        """);

    private static readonly LiquidTemplate Text = LiquidTemplate.Parse("""
        {% if first_name %}Hi {{ first_name }},{% else %}Hi,{% endif %}

        {{ name }} is back in stock. Stock is limited, so we are telling the waitlist in order of signup.
        {% if url %}Buy it here: {{ url }}{% endif %}
        {% if unsubscribe %}Unsubscribe: {{ unsubscribe }}{% endif %}
        """);
}
