using Automation.Returns;

namespace Automation.Tests.Returns;

/// <summary>Valid defaults: a fulfilled two-line order and a refund request for one shirt, ten days after shipping.</summary>
internal static class ReturnBuilders
{
    public static readonly DateTimeOffset Ordered = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Fulfilled = Ordered.AddDays(2);
    public static readonly DateTimeOffset Delivered = Ordered.AddDays(5);

    public static PostalAddress CustomerAddress(string country = "NL") =>
        new("Ada Lovelace", "Keizersgracht 1", null, "Amsterdam", null, "1015 AA", country);

    public static ReturnOrder Order(params OrderLine[] lines) => new(
        OrderId: 5001,
        Name: "#1001",
        Email: "ada@example.com",
        Currency: "EUR",
        CreatedAt: Ordered,
        FulfilledAt: Fulfilled,
        DeliveredAt: Delivered,
        ShippingAddress: CustomerAddress(),
        Lines: lines.Length > 0 ? lines : [Shirt(), Shoes()]);

    public static OrderLine Shirt() => new(11, "Linen shirt", "SHIRT-M", 2, 40m, ProductType: "Shirts", Tags: ["summer"], Collections: ["new-in"]);

    public static OrderLine Shoes() => new(12, "Leather shoes", "SHOE-42", 1, 120m, ProductType: "Shoes");

    public static ReturnRequest Request(DateTimeOffset at, ReturnWish wish = ReturnWish.Refund, params ReturnItem[] items) =>
        new("s1", wish, items.Length > 0 ? items : [new ReturnItem(11, 1, "size_too_small")], at);

    public static ReturnPolicy Policy() => new()
    {
        Warehouses = [new Warehouse { Id = "ams", Name = "Returns NL", Line1 = "Havenweg 4", City = "Amsterdam", PostalCode = "1000 AB", CountryCode = "NL", Email = "ams@example.com" }],
    };
}
