namespace Automation.AbandonedCart;

/// <summary>The external events a running recovery flow listens for: its exits, and a changed checkout.</summary>
public static class RecoveryEvents
{
    /// <summary>The customer ordered (payload: <see cref="RecoveryOrder"/>): the flow ends, and the order may be attributed to it.</summary>
    public const string OrderPlaced = nameof(OrderPlaced);

    /// <summary>The checkout was completed or deleted (payload: <see cref="ClosedCheckout"/>).</summary>
    public const string CheckoutClosed = nameof(CheckoutClosed);

    /// <summary>The customer clicked unsubscribe (no payload).</summary>
    public const string Unsubscribed = nameof(Unsubscribed);

    /// <summary>
    /// A checkout event for the customer (payload: the <see cref="RecoveryState"/> it would start): the same checkout,
    /// newer, updates the waiting flow; another checkout replaces the flow.
    /// </summary>
    public const string CheckoutChanged = nameof(CheckoutChanged);
}

// WARNING: event payloads in flight to running orchestrations; add properties only.
public sealed record RecoveryOrder(long OrderId, string? OrderNumber, decimal TotalPrice, string Currency, IReadOnlyList<string> DiscountCodes, DateTimeOffset OccurredAt);

public sealed record ClosedCheckout(string CheckoutId, string Reason);

/// <summary>Whether an order was won by a recovery message, and by which (pure: used by the flow and after it ended).</summary>
public static class RecoveryAttribution
{
    public static string? WinningStep(RecoveryState state, RecoveryOrder order) =>
        WinningStep(state.ReminderSentAt, state.CouponEmailSentAt, state.CouponCode, state.Settings.AttributionWindow, order);

    /// <summary>
    /// The step that won the order — the coupon email if its code was used or it was the last message before the order,
    /// else the reminder — or null when the order came before the first message or after the window from the last.
    /// </summary>
    public static string? WinningStep(DateTimeOffset? reminderSentAt, DateTimeOffset? couponEmailSentAt, string? couponCode, TimeSpan window, RecoveryOrder order)
    {
        var lastMessage = couponEmailSentAt ?? reminderSentAt;
        if (lastMessage is null || reminderSentAt is not { } firstMessage) return null;
        if (order.OccurredAt < firstMessage || order.OccurredAt - lastMessage > window) return null;
        var usedCoupon = couponCode is not null && order.DiscountCodes.Any(c => string.Equals(c, couponCode, StringComparison.OrdinalIgnoreCase));
        return usedCoupon || (couponEmailSentAt is { } couponAt && order.OccurredAt >= couponAt)
            ? CheckoutRecoveryOrchestrator.SendCouponEmailStep
            : CheckoutRecoveryOrchestrator.SendReminderStep;
    }
}
