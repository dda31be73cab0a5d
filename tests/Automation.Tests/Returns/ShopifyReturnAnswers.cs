using System.Globalization;
using Automation.Tests.Infrastructure;

namespace Automation.Tests.Returns;

/// <summary>A line of the order as Shopify's GraphQL Admin API returns it to the returns queries.</summary>
internal sealed record ShopifyReturnLine(long Id, string Name, string Sku, int Quantity, string Price, string ProductType, string[] Tags, string[] Collections);

/// <summary>
/// Shopify's GraphQL Admin API (2025-10) answers for a return: order <c>#1042</c> as the returns queries read it
/// (placed 12 days ago, fulfilled 10 days ago, not yet delivered, shipped to Amsterdam) and the mutations a return is
/// carried out with.
/// </summary>
internal static class ShopifyReturnAnswers
{
    public const string OrderName = "#1042";

    /// <summary>The order: <paramref name="lines"/> each with its fulfillment line (<c>…/FulfillmentLineItem/11122233344</c>, then +1 each).</summary>
    public static object Order(long orderId, string email, string shipTo, string address1, string zip, params ShopifyReturnLine[] lines) => new
    {
        id = $"gid://shopify/Order/{orderId}",
        legacyResourceId = orderId.ToString(CultureInfo.InvariantCulture),
        name = OrderName,
        email,
        createdAt = DateTimeOffset.UtcNow.AddDays(-12).ToString("O"),
        currencyCode = "EUR",
        customer = new { id = "gid://shopify/Customer/7012345678901", tags = new[] { "newsletter" } },
        shippingAddress = new { name = shipTo, company = (string?)null, address1, address2 = (string?)null, city = "Amsterdam", provinceCode = (string?)null, zip, countryCodeV2 = "NL" },
        fulfillments = new[]
        {
            new
            {
                createdAt = DateTimeOffset.UtcNow.AddDays(-10).ToString("O"),
                deliveredAt = (string?)null,
                fulfillmentLineItems = new { nodes = lines.Select((l, i) => new { id = $"gid://shopify/FulfillmentLineItem/{11122233344 + i}", lineItem = new { id = $"gid://shopify/LineItem/{l.Id}" } }).ToArray() },
            },
        },
        lineItems = new
        {
            nodes = lines.Select(l => new
            {
                id = $"gid://shopify/LineItem/{l.Id}",
                name = l.Name,
                sku = l.Sku,
                quantity = l.Quantity,
                originalUnitPriceSet = new { shopMoney = new { amount = l.Price } },
                discountedUnitPriceSet = new { shopMoney = new { amount = l.Price } },
                product = new { productType = l.ProductType, tags = l.Tags, collections = new { nodes = l.Collections.Select(handle => new { handle }).ToArray() } },
            }).ToArray(),
        },
    };

    /// <summary>The order for the look-ups by name (only <see cref="OrderName"/>) and by id; <paramref name="order"/> is read at each.</summary>
    public static FakePlatform ReturnOrder(this FakePlatform platform, Func<object> order) => platform
        .OnGraphQLData("query ReturnOrderByName", v => new { orders = new { nodes = v.GetProperty("query").GetString() == $"name:\"{OrderName}\"" ? new[] { order() } : [] } })
        .OnGraphQLData("query ReturnOrderById", _ => new { order = order() });

    /// <summary>Return 777 requested, approved (reverse fulfillment order 555) and given its label (reverse delivery 999).</summary>
    public static FakePlatform ReturnMutations(this FakePlatform platform) => platform
        .OnGraphQLData("mutation RequestReturn", _ => new { returnRequest = new { @return = new { id = "gid://shopify/Return/777", status = "REQUESTED" }, userErrors = Array.Empty<object>() } })
        .OnGraphQLData("mutation ApproveReturn", v => new
        {
            returnApproveRequest = new
            {
                @return = new { id = v.GetProperty("input").GetProperty("id").GetString(), status = "OPEN", reverseFulfillmentOrders = new { nodes = new[] { new { id = "gid://shopify/ReverseFulfillmentOrder/555" } } } },
                userErrors = Array.Empty<object>(),
            },
        })
        .OnGraphQLData("mutation AttachReturnLabel", _ => new { reverseDeliveryCreateWithShipping = new { reverseDelivery = new { id = "gid://shopify/ReverseDelivery/999" }, userErrors = Array.Empty<object>() } });
}
