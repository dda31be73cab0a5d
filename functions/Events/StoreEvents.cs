using System.Text.Json.Serialization;

namespace Automation.Events;

/// <summary>
/// Our own events, translated from platform webhooks. Past-tense names; each carries an id, the store, when it
/// happened and a schema version. Ids are derived from what happened (e.g. <c>order-placed:{orderId}</c>), so a
/// repeated delivery produces the same id and consumers can ignore it.
/// </summary>
// WARNING: these are messages in flight on the automation queues. Add properties; never rename or remove them,
// and never change the "type" discriminators. A breaking change is a new event on a new queue.
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(CheckoutStarted), nameof(CheckoutStarted))]
[JsonDerivedType(typeof(CheckoutUpdated), nameof(CheckoutUpdated))]
[JsonDerivedType(typeof(CheckoutClosed), nameof(CheckoutClosed))]
[JsonDerivedType(typeof(OrderPlaced), nameof(OrderPlaced))]
[JsonDerivedType(typeof(InventoryLevelChanged), nameof(InventoryLevelChanged))]
[JsonDerivedType(typeof(ProductUpdated), nameof(ProductUpdated))]
[JsonDerivedType(typeof(ReturnRequested), nameof(ReturnRequested))]
[JsonDerivedType(typeof(RefundCreated), nameof(RefundCreated))]
[JsonDerivedType(typeof(CustomerDataRequested), nameof(CustomerDataRequested))]
[JsonDerivedType(typeof(CustomerRedactRequested), nameof(CustomerRedactRequested))]
[JsonDerivedType(typeof(ShopRedactRequested), nameof(ShopRedactRequested))]
public abstract record StoreEvent
{
    public required string Id { get; init; }
    public required string StoreId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public int SchemaVersion { get; init; } = 1;

    /// <summary>The webhook delivery this came from (for tracing back to the raw body).</summary>
    public string? DeliveryKey { get; init; }

    /// <summary>W3C trace context of whatever published the event, so its consumers continue the same trace.</summary>
    public string? TraceParent { get; init; }
}

public sealed record LineItem(long? ProductId, long? VariantId, string? Sku, string Title, int Quantity, decimal Price);

/// <summary>An open checkout with what a recovery message needs.</summary>
public abstract record CheckoutEvent : StoreEvent
{
    /// <summary>Shopify: the checkout token; WooCommerce: <c>order-{id}</c> of the pending order.</summary>
    public required string CheckoutId { get; init; }
    public long? CustomerId { get; init; }
    public string? Email { get; init; }
    public string? FirstName { get; init; }
    public bool AcceptsMarketing { get; init; }
    public string? RecoveryUrl { get; init; }
    public required string Currency { get; init; }
    public decimal TotalPrice { get; init; }
    public IReadOnlyList<LineItem> LineItems { get; init; } = [];
}

public sealed record CheckoutStarted : CheckoutEvent;

public sealed record CheckoutUpdated : CheckoutEvent;

/// <summary>The checkout was completed or deleted: nothing left to recover.</summary>
public sealed record CheckoutClosed : StoreEvent
{
    public required string CheckoutId { get; init; }
    public required string Reason { get; init; }
}

/// <summary>A paid order (Shopify <c>orders/create</c>; WooCommerce <c>order.updated</c> once paid).</summary>
public sealed record OrderPlaced : StoreEvent
{
    public required long OrderId { get; init; }
    public string? OrderNumber { get; init; }
    public string? CheckoutId { get; init; }
    public long? CustomerId { get; init; }
    public string? Email { get; init; }
    public required string Currency { get; init; }
    public decimal TotalPrice { get; init; }
    public IReadOnlyList<LineItem> LineItems { get; init; } = [];
    public IReadOnlyList<string> DiscountCodes { get; init; } = [];
}

/// <summary>Available quantity of one variant (or inventory item) at one location.</summary>
public sealed record InventoryLevelChanged : StoreEvent
{
    public long? InventoryItemId { get; init; }
    public long? VariantId { get; init; }
    public long? ProductId { get; init; }
    public string? Sku { get; init; }

    /// <summary>Shopify location id; WooCommerce has one stock per product: "default".</summary>
    public required string LocationId { get; init; }

    /// <summary>Null when the platform does not track the quantity.</summary>
    public int? Available { get; init; }
    public bool SellsWhenOutOfStock { get; init; }
    public int? LowStockAmount { get; init; }
}

public sealed record VariantSnapshot(
    long VariantId,
    string? Sku,
    string? Title,
    long? InventoryItemId,
    int? InventoryQuantity,
    bool ManagesStock,
    bool SellsWhenOutOfStock,
    string? StockStatus,
    int? LowStockAmount,
    decimal? Price);

public sealed record ProductUpdated : StoreEvent
{
    public required long ProductId { get; init; }

    /// <summary>WooCommerce variations arrive as their own products, with their parent here.</summary>
    public long? ParentProductId { get; init; }
    public required string Title { get; init; }
    public string? Url { get; init; }
    public string? Status { get; init; }
    public string? ProductType { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public IReadOnlyList<VariantSnapshot> Variants { get; init; } = [];
}

public sealed record ReturnLine(long LineItemId, int Quantity, string? Reason, string? Note);

public sealed record ReturnRequested : StoreEvent
{
    /// <summary>Shopify's Return GID (<c>gid://shopify/Return/…</c>).</summary>
    public required string ReturnId { get; init; }
    public required long OrderId { get; init; }
    public string? Name { get; init; }
    public IReadOnlyList<ReturnLine> Lines { get; init; } = [];
}

public sealed record RefundLine(long LineItemId, int Quantity, bool Restock);

public sealed record RefundCreated : StoreEvent
{
    public required long RefundId { get; init; }
    public required long OrderId { get; init; }
    public decimal? Amount { get; init; }
    public string? Reason { get; init; }
    public IReadOnlyList<RefundLine> Lines { get; init; } = [];
}

public sealed record CustomerDataRequested : StoreEvent
{
    public long? CustomerId { get; init; }
    public string? Email { get; init; }
    public IReadOnlyList<long> Orders { get; init; } = [];
    public long? RequestId { get; init; }
}

public sealed record CustomerRedactRequested : StoreEvent
{
    public long? CustomerId { get; init; }
    public string? Email { get; init; }
    public IReadOnlyList<long> Orders { get; init; } = [];
}

public sealed record ShopRedactRequested : StoreEvent;
