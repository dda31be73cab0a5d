namespace Automation.Returns;

/// <summary>What the customer wants in place of the returned items.</summary>
public enum ReturnWish
{
    Refund,
    StoreCredit,
    Exchange,
}

/// <summary>Where a decision leaves the return.</summary>
public enum ReturnOutcome
{
    /// <summary>Send the items back: a label is made and the warehouse is told.</summary>
    Approved,

    /// <summary>Approved without sending anything back: shipping would cost more than the items.</summary>
    KeepIt,

    Declined,

    /// <summary>Held for a person to decide; nothing is sent to the platform yet.</summary>
    ManualReview,
}

/// <summary>Shopify's <c>ReturnDeclineReason</c>; WooCommerce has no equivalent and gets the text in a note.</summary>
public enum DeclineReason
{
    ReturnPeriodEnded,
    FinalSale,
    Other,
}

public sealed record PostalAddress(
    string Name,
    string Line1,
    string? Line2,
    string City,
    string? Province,
    string PostalCode,
    string CountryCode,
    string? Company = null)
{
    public IEnumerable<string> Lines()
    {
        if (!string.IsNullOrWhiteSpace(Company)) yield return Company!;
        yield return Name;
        yield return Line1;
        if (!string.IsNullOrWhiteSpace(Line2)) yield return Line2!;
        yield return string.Join(' ', new[] { PostalCode, City, Province }.Where(s => !string.IsNullOrWhiteSpace(s)));
        yield return CountryCode;
    }
}

/// <summary>One line of the order as the platform reports it, with what the rules look at.</summary>
/// <param name="FulfillmentLineItemId">Shopify: the fulfillment line item GID a return line needs.</param>
public sealed record OrderLine(
    long LineItemId,
    string Title,
    string? Sku,
    int Quantity,
    decimal UnitPrice,
    string? ProductType = null,
    IReadOnlyList<string>? Tags = null,
    IReadOnlyList<string>? Collections = null,
    bool Discounted = false,
    string? FulfillmentLineItemId = null)
{
    public IReadOnlyList<string> Tags { get; init; } = Tags ?? [];
    public IReadOnlyList<string> Collections { get; init; } = Collections ?? [];
}

/// <summary>The order a return is asked for, looked up at the platform (never taken from the request).</summary>
/// <param name="PlatformId">Shopify's Order GID, for mutations.</param>
/// <param name="CustomerId">The platform's customer (null for a guest), to restrict an exchange's free-shipping code to them.</param>
public sealed record ReturnOrder(
    long OrderId,
    string Name,
    string? Email,
    string Currency,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FulfilledAt,
    DateTimeOffset? DeliveredAt,
    PostalAddress? ShippingAddress,
    IReadOnlyList<OrderLine> Lines,
    IReadOnlyList<string>? CustomerTags = null,
    string? PlatformId = null,
    long? CustomerId = null)
{
    public IReadOnlyList<string> CustomerTags { get; init; } = CustomerTags ?? [];

    public OrderLine? Line(long lineItemId) => Lines.FirstOrDefault(l => l.LineItemId == lineItemId);
}

public sealed record ReturnItem(long LineItemId, int Quantity, string? Reason = null, string? Note = null);

/// <summary>A return asked for, from either intake (Shopify's return request or our self-service endpoint).</summary>
public sealed record ReturnRequest(string StoreId, ReturnWish Wish, IReadOnlyList<ReturnItem> Items, DateTimeOffset RequestedAt)
{
    /// <summary>Shopify's Return GID when the return was asked for in Shopify; null for self-service.</summary>
    public string? PlatformReturnId { get; init; }

    public string Source => PlatformReturnId is null ? "self-service" : "shopify";
}

/// <summary>Which rule decided, and why, in words a customer can read.</summary>
public sealed record ReturnDecision(ReturnOutcome Outcome, string Rule, string Reason)
{
    public decimal Fee { get; init; }
    public decimal ItemsValue { get; init; }
    public DeclineReason? DeclineReason { get; init; }

    /// <summary>Exchanges ship the replacement free, as an incentive to keep the revenue.</summary>
    public bool FreeShippingOnReplacement { get; init; }

    /// <summary>The customer segment whose fee applied (e.g. "VIP"), or "default".</summary>
    public string? Segment { get; init; }

    public static ReturnDecision Declined(string rule, DeclineReason reason, string why) => new(ReturnOutcome.Declined, rule, why) { DeclineReason = reason };
}
