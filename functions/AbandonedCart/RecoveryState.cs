using Automation.Events;

namespace Automation.AbandonedCart;

/// <summary>What a recovery flow knows: the checkout, the settings it started with, and what it has done.</summary>
// WARNING: stored as JSON in running flows' rows; add properties, never rename or remove them.
public sealed record RecoveryState
{
    public required string CheckoutId { get; init; }
    public required string CustomerKey { get; init; }
    public long? CustomerId { get; init; }
    public required string Email { get; init; }
    public string? FirstName { get; init; }
    public string? RecoveryUrl { get; init; }
    public required string Currency { get; init; }
    public decimal TotalPrice { get; init; }
    public IReadOnlyList<LineItem> LineItems { get; init; } = [];

    /// <summary>When the newest checkout event seen happened (older, out-of-order updates are ignored).</summary>
    public DateTimeOffset CheckoutUpdatedAt { get; init; }
    public string? StartedByEventId { get; init; }

    public required RecoverySettings Settings { get; init; }

    public DateTimeOffset? ReminderSentAt { get; init; }
    public string? CouponCode { get; init; }
    public string? CouponId { get; init; }
    public DateTimeOffset? CouponExpiresAt { get; init; }
    public DateTimeOffset? CouponEmailSentAt { get; init; }

    public long? RecoveredOrderId { get; init; }
    public decimal? RecoveredRevenue { get; init; }
    public string? RecoveredBy { get; init; }

    public DateTimeOffset? LastMessageAt => CouponEmailSentAt ?? ReminderSentAt;
}

/// <summary>The settings a flow started with (a running flow keeps them when the configuration changes).</summary>
public sealed record RecoverySettings(
    TimeSpan ReminderDelay,
    TimeSpan CouponDelay,
    bool SendCoupon,
    decimal CouponPercent,
    TimeSpan CouponValidity,
    string CouponPrefix,
    TimeSpan QuietHoursStart,
    TimeSpan QuietHoursEnd,
    bool CheckStock,
    TimeSpan AttributionWindow)
{
    public static RecoverySettings From(AbandonedCartOptions o) =>
        new(o.ReminderDelay, o.CouponDelay, o.SendCoupon, o.CouponPercent, o.CouponValidity, o.CouponPrefix, o.QuietHoursStart, o.QuietHoursEnd, o.CheckStock, o.AttributionWindow);
}
