using Automation.Email;
using Automation.Stores;

namespace Automation.Returns;

/// <summary>
/// The customer's email about a decision (one template per outcome) and the warehouse's notice, rendered from
/// <c>Templates/return-*.liquid</c> or the store's overrides.
/// </summary>
public static class ReturnEmails
{
    public const string Approved = "return-approved";
    public const string KeepIt = "return-keep-it";
    public const string Reviewing = "return-reviewing";
    public const string Declined = "return-declined";
    public const string WarehouseNotice = "return-warehouse-notice";

    public static IReadOnlyList<EmailTemplateDefinition> Templates =>
    [
        new(Approved, "To the customer: the return is approved; the label is attached and linked, with the fee if any.", EmailAudience.Customer, s => CustomerSample(s, ReturnOutcome.Approved)),
        new(KeepIt, "To the customer: the return is approved and the items are theirs to keep (cheaper than shipping back).", EmailAudience.Customer, s => CustomerSample(s, ReturnOutcome.KeepIt)),
        new(Reviewing, "To the customer: the return is held for the team to check, with the reason.", EmailAudience.Customer, s => CustomerSample(s, ReturnOutcome.ManualReview)),
        new(Declined, "To the customer: the return cannot be accepted, with the reason.", EmailAudience.Customer, s => CustomerSample(s, ReturnOutcome.Declined)),
        new(WarehouseNotice, "To the receiving warehouse: a return is on its way (RMA, tracking, items and reasons; no customer details).", EmailAudience.Staff, WarehouseSample),
    ];

    public static string TemplateFor(ReturnOutcome outcome) => outcome switch
    {
        ReturnOutcome.Approved => Approved,
        ReturnOutcome.KeepIt => KeepIt,
        ReturnOutcome.ManualReview => Reviewing,
        _ => Declined,
    };

    public static async Task<EmailMessage> ToCustomerAsync(EmailRenderer renderer, ReturnCase c, Warehouse? warehouse, IssuedLabel? label, byte[]? labelPdf, FreeShippingCode? shippingCode, CancellationToken cancellationToken)
    {
        var d = c.Decision;
        var firstName = c.Order.ShippingAddress?.Name.Split(' ')[0];
        var model = new ReturnEmailModel(
            firstName,
            c.Rma,
            c.Order.Name,
            d.Reason,
            Items(c),
            d.Fee,
            d.Segment is null or "default" ? null : d.Segment,
            c.Request.Wish.ToString(),
            d.FreeShippingOnReplacement,
            shippingCode?.Code,
            shippingCode?.ExpiresAt,
            label?.Url.ToString(),
            label?.ExpiresAt,
            label?.TrackingNumber,
            label?.TrackingUrl?.ToString(),
            warehouse is null ? [] : [.. warehouse.Address.Lines()]);
        var email = await renderer.RenderAsync(c.StoreId, TemplateFor(d.Outcome), new EmailSample(model, firstName, c.Order.Currency), cancellationToken);
        return new EmailMessage(c.StoreId, $"return:{c.Rma}:customer:{d.Outcome}", c.CustomerEmail, email.Subject, email.Html, email.Text)
        {
            Attachments = labelPdf is null ? [] : [new EmailAttachment($"return-label-{c.Rma}.pdf", "application/pdf", labelPdf)],
        };
    }

    public static async Task<EmailMessage> ToWarehouseAsync(EmailRenderer renderer, ReturnCase c, Warehouse warehouse, IssuedLabel label, CancellationToken cancellationToken)
    {
        var model = new ReturnWarehouseEmailModel(c.Rma, c.Order.Name, warehouse.Name, label.TrackingNumber, label.Carrier, c.Order.ShippingAddress?.CountryCode,
            c.Request.Wish.ToString(), Items(c));
        var email = await renderer.RenderAsync(c.StoreId, WarehouseNotice, new EmailSample(model, warehouse.Name, c.Order.Currency), cancellationToken);
        return new EmailMessage(c.StoreId, $"return:{c.Rma}:warehouse", warehouse.Email!, email.Subject, email.Html, email.Text);
    }

    private static List<ReturnEmailItem> Items(ReturnCase c) =>
        [.. c.Lines.Select(x => new ReturnEmailItem(x.Item.Quantity, x.Line.Title, x.Line.Sku, x.Item.Reason, x.Line.UnitPrice))];

    private static EmailSample CustomerSample(Store store, ReturnOutcome outcome)
    {
        var rma = "R-1042-7F3A";
        var approved = outcome == ReturnOutcome.Approved;
        var reason = outcome switch
        {
            ReturnOutcome.Approved => "Your return is approved; a return fee is taken from your refund.",
            ReturnOutcome.KeepIt => "Returns worth less than the cost of shipping them back are not worth sending: please keep the items, there is nothing to send back.",
            ReturnOutcome.ManualReview => "Returns worth more than a set amount are checked by our team; we will email you within two working days.",
            _ => "\"Linen shirt – M\" is final sale (tagged \"final-sale\") and cannot be returned.",
        };
        var model = new ReturnEmailModel(
            "Ann", rma, "#1042", reason,
            [new ReturnEmailItem(1, "Linen shirt – M", "SHIRT-M", "size_too_small", 49.00m), new ReturnEmailItem(2, "Cotton socks – 2 pack", "SOCKS-2", "changed_mind", 9.50m)],
            approved ? 4.95m : 0, null, "Refund", false, null, null,
            approved ? $"https://storage.example.com/return-labels/{store.Id}/{rma}.pdf?se=2025-04-01&sig=sample" : null,
            approved ? EmailSamples.Day(store, 14) : null,
            approved ? "RT104273NL" : null,
            null,
            approved ? ["Returns NL", "Havenweg 4", "1000 AB Amsterdam", "NL"] : []);
        return new EmailSample(model, "Ann", store.Currency);
    }

    private static EmailSample WarehouseSample(Store store) => new(
        new ReturnWarehouseEmailModel("R-1042-7F3A", "#1042", "Returns NL", "RT104273NL", "PostNL", "DE", "Refund",
            [new ReturnEmailItem(1, "Linen shirt – M", "SHIRT-M", "size_too_small", 49.00m), new ReturnEmailItem(2, "Cotton socks – 2 pack", "SOCKS-2", "changed_mind", 9.50m)]),
        "Returns NL", store.Currency);
}

/// <summary>
/// What the customer's return emails see. <c>fee</c> is 0 when there is none; <c>segment</c> is the customer group
/// whose fee applied (e.g. VIP); <c>wish</c> is Refund, StoreCredit or Exchange; <c>warehouse</c> is the address lines.
/// </summary>
public sealed record ReturnEmailModel(
    string? FirstName,
    string Rma,
    string Order,
    string Reason,
    IReadOnlyList<ReturnEmailItem> Items,
    decimal Fee,
    string? Segment,
    string Wish,
    bool FreeShipping,
    string? ShippingCode,
    DateTimeOffset? ShippingCodeExpires,
    string? LabelUrl,
    DateTimeOffset? LabelExpires,
    string? Tracking,
    string? TrackingUrl,
    IReadOnlyList<string> Warehouse)
{
    public bool Exchange => Wish == nameof(ReturnWish.Exchange);
    public decimal ItemsValue => Items.Sum(i => i.LineTotal);
}

public sealed record ReturnEmailItem(int Quantity, string Title, string? Sku, string? Reason, decimal UnitPrice)
{
    public decimal LineTotal => UnitPrice * Quantity;
}

/// <summary>What the warehouse notice sees: <c>rma</c>, <c>order</c>, <c>warehouse</c> (its name), <c>tracking</c>, <c>carrier</c>, <c>from_country</c>, <c>wish</c>, <c>items</c>.</summary>
public sealed record ReturnWarehouseEmailModel(string Rma, string Order, string Warehouse, string Tracking, string Carrier, string? FromCountry, string Wish, IReadOnlyList<ReturnEmailItem> Items)
{
    public int ItemCount => Items.Sum(i => i.Quantity);
}
