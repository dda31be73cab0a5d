using Automation.Email;

namespace Automation.Returns;

/// <summary>The customer's and the warehouse's emails, as Liquid templates (our subset, see Email/LiquidTemplate).</summary>
public static class ReturnEmails
{
    private static readonly LiquidTemplate CustomerHtml = LiquidTemplate.Parse("""
        <p>Hello {{ name | default: "there" }},</p>
        {% if approved %}<p><strong>Your return {{ rma }} for order {{ order }} is approved.</strong></p>
        {% elsif keep_it %}<p><strong>Good news: keep the items from order {{ order }}.</strong></p>
        {% elsif review %}<p><strong>We have your return request {{ rma }} for order {{ order }}.</strong></p>
        {% else %}<p><strong>We cannot accept the return you asked for on order {{ order }}.</strong></p>
        {% endif %}
        <p>{{ reason }}</p>
        <ul>{% for item in items %}<li>{{ item.quantity }} × {{ item.title }}</li>{% endfor %}</ul>
        {% if approved %}
        <p>Return fee: {{ fee | money: currency }}.</p>
        <p>Your return label is attached. You can also <a href="{{ label_url }}">download the label</a> (the link works until {{ label_expires | date: "yyyy-MM-dd" }}).
        Print it, stick it on the parcel and send it to {{ warehouse }}. Tracking number: {{ tracking }}.</p>
        {% endif %}
        {% if shipping_code %}<p>Your replacement ships free: use the code <strong>{{ shipping_code }}</strong> at checkout (valid until {{ shipping_code_expires | date: "yyyy-MM-dd" }}).</p>{% endif %}
        <p>Reference: {{ rma }}</p>
        """);

    private static readonly LiquidTemplate CustomerText = LiquidTemplate.Parse("""
        Hello {{ name | default: "there" }},

        {% if approved %}Your return {{ rma }} for order {{ order }} is approved.{% elsif keep_it %}Good news: keep the items from order {{ order }}.{% elsif review %}We have your return request {{ rma }} for order {{ order }}.{% else %}We cannot accept the return you asked for on order {{ order }}.{% endif %}

        {{ reason }}

        {% for item in items %}- {{ item.quantity }} x {{ item.title }}
        {% endfor %}{% if approved %}
        Return fee: {{ fee | money: currency }}.
        Label (attached, and at this link until {{ label_expires | date: "yyyy-MM-dd" }}): {{ label_url }}
        Send the parcel to {{ warehouse }}. Tracking number: {{ tracking }}.
        {% endif %}{% if shipping_code %}
        Your replacement ships free: use the code {{ shipping_code }} at checkout (valid until {{ shipping_code_expires | date: "yyyy-MM-dd" }}).
        {% endif %}
        Reference: {{ rma }}
        """);

    private static readonly LiquidTemplate WarehouseHtml = LiquidTemplate.Parse("""
        <p><strong>Return {{ rma }} is on its way to {{ warehouse }}.</strong></p>
        <p>Order {{ order }} · tracking {{ tracking }} ({{ carrier }}) · from {{ from_country }} · wish: {{ wish }}</p>
        <table><tr><th>Qty</th><th>Item</th><th>SKU</th><th>Reason</th></tr>
        {% for item in items %}<tr><td>{{ item.quantity }}</td><td>{{ item.title }}</td><td>{{ item.sku }}</td><td>{{ item.reason }}</td></tr>{% endfor %}
        </table>
        <p>Scan the parcel's barcode ({{ tracking }}) on arrival to match it to this return.</p>
        """);

    private static readonly LiquidTemplate WarehouseText = LiquidTemplate.Parse("""
        Return {{ rma }} is on its way to {{ warehouse }}.
        Order {{ order }}, tracking {{ tracking }} ({{ carrier }}), from {{ from_country }}, wish: {{ wish }}.

        {% for item in items %}{{ item.quantity }} x {{ item.title }} [{{ item.sku }}] {{ item.reason }}
        {% endfor %}
        Scan the parcel's barcode ({{ tracking }}) on arrival to match it to this return.
        """);

    public static EmailMessage ToCustomer(ReturnCase c, Warehouse? warehouse, IssuedLabel? label, byte[]? labelPdf, FreeShippingCode? shippingCode = null)
    {
        var d = c.Decision;
        var model = new Dictionary<string, object?>
        {
            ["name"] = c.Order.ShippingAddress?.Name.Split(' ')[0],
            ["approved"] = d.Outcome == ReturnOutcome.Approved,
            ["keep_it"] = d.Outcome == ReturnOutcome.KeepIt,
            ["review"] = d.Outcome == ReturnOutcome.ManualReview,
            ["rma"] = c.Rma,
            ["order"] = c.Order.Name,
            ["reason"] = d.Reason,
            ["items"] = Items(c),
            ["fee"] = d.Fee,
            ["currency"] = c.Order.Currency,
            ["shipping_code"] = shippingCode?.Code,
            ["shipping_code_expires"] = shippingCode?.ExpiresAt,
            ["label_url"] = label?.Url.ToString(),
            ["label_expires"] = label?.ExpiresAt,
            ["tracking"] = label?.TrackingNumber,
            ["warehouse"] = warehouse is null ? null : string.Join(", ", warehouse.Address.Lines()),
        };
        var subject = d.Outcome switch
        {
            ReturnOutcome.Approved => $"Your return {c.Rma} is approved",
            ReturnOutcome.KeepIt => $"Keep it: your return {c.Rma} needs no shipping",
            ReturnOutcome.ManualReview => $"We are reviewing your return {c.Rma}",
            _ => $"About your return request for order {c.Order.Name}",
        };
        return new EmailMessage(c.StoreId, $"return:{c.Rma}:customer:{d.Outcome}", c.CustomerEmail, subject, CustomerHtml.Render(model, html: true), CustomerText.Render(model))
        {
            Attachments = labelPdf is null ? [] : [new EmailAttachment($"return-label-{c.Rma}.pdf", "application/pdf", labelPdf)],
        };
    }

    public static EmailMessage ToWarehouse(ReturnCase c, Warehouse warehouse, IssuedLabel label)
    {
        var model = new Dictionary<string, object?>
        {
            ["rma"] = c.Rma,
            ["order"] = c.Order.Name,
            ["warehouse"] = warehouse.Name,
            ["tracking"] = label.TrackingNumber,
            ["carrier"] = label.Carrier,
            ["from_country"] = c.Order.ShippingAddress?.CountryCode,
            ["wish"] = c.Request.Wish.ToString(),
            ["items"] = Items(c),
        };
        return new EmailMessage(c.StoreId, $"return:{c.Rma}:warehouse", warehouse.Email!, $"Incoming return {c.Rma}: {c.Request.Items.Sum(i => i.Quantity)} item(s), tracking {label.TrackingNumber}",
            WarehouseHtml.Render(model, html: true), WarehouseText.Render(model));
    }

    private static List<Dictionary<string, object?>> Items(ReturnCase c) =>
        [.. c.Lines.Select(x => new Dictionary<string, object?>
        {
            ["quantity"] = x.Item.Quantity,
            ["title"] = x.Line.Title,
            ["sku"] = x.Line.Sku,
            ["reason"] = x.Item.Reason,
        })];
}
