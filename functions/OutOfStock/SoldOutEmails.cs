using Automation.Email;
using Automation.Stores;

namespace Automation.OutOfStock;

/// <summary>The marketing notices: pause ads when a product sells out, resume when it is back (<c>Templates/*.liquid</c>).</summary>
public static class SoldOutEmails
{
    public const string SoldOut = "sold-out-marketing";
    public const string BackInStock = "back-in-stock-marketing";

    public static IReadOnlyList<EmailTemplateDefinition> Templates =>
    [
        new(SoldOut, "To the marketing contacts, when a product sells out: pause the ads that point to it.", EmailAudience.Staff, store => Sample(store, available: null)),
        new(BackInStock, "To the marketing contacts, when a sold-out product is back: the ads can resume.", EmailAudience.Staff, store => Sample(store, available: 24)),
    ];

    private static EmailSample Sample(Store store, int? available) =>
        new(new SoldOutEmailModel("Blue ceramic mug – 350 ml", "MUG-BLUE", EmailSamples.ProductUrl(store, "blue-ceramic-mug", 8_123_456_789), available));
}

/// <summary>What the marketing notices see: <c>name</c>, <c>sku</c>, <c>url</c>, <c>available</c> (back in stock only).</summary>
public sealed record SoldOutEmailModel(string Name, string Sku, string? Url, int? Available);
