using Automation.Events;

namespace Automation.AbandonedCart;

/// <summary>
/// What a recovery flow knows: whose checkout, the settings it started with, and what it has done. The orchestration's
/// input (and what a replacement continues with), so it holds the email and name the messages need.
/// </summary>
// WARNING: the input and history of running orchestrations; add properties, never rename or remove them.
public sealed record RecoveryState
{
    public required string StoreId { get; init; }

    /// <summary>What a new flow for <paramref name="checkout"/> starts with (the checkout has an email: flows start only for those).</summary>
    public static RecoveryState Start(CheckoutEvent checkout, string instanceId, string customerKey, DateTimeOffset startedAt, RecoverySettings settings) => new()
    {
        StoreId = checkout.StoreId,
        FlowId = RecoveryIds.FlowId(instanceId, checkout.Id),
        StartedAt = startedAt,
        CheckoutId = checkout.CheckoutId,
        CustomerKey = customerKey,
        CustomerId = checkout.CustomerId,
        Email = checkout.Email!.Trim(),
        FirstName = checkout.FirstName,
        RecoveryUrl = checkout.RecoveryUrl,
        Currency = checkout.Currency,
        TotalPrice = checkout.TotalPrice,
        LineItems = checkout.LineItems,
        CheckoutUpdatedAt = checkout.OccurredAt,
        StartedByEventId = checkout.Id,
        Settings = settings,
    };

    /// <summary>This flow's run (instance id + the event that started it): the base of every effect key and of the coupon code.</summary>
    public required string FlowId { get; init; }
    public required DateTimeOffset StartedAt { get; init; }

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

    /// <summary>The flow this one replaced (a newer checkout from the same customer), and that flow's history.</summary>
    public string? ReplacedFlowId { get; init; }
    public IReadOnlyList<Flows.FlowHistoryEntry>? CarriedHistory { get; init; }

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
    TimeSpan AttributionWindow,
    string TimeZone)
{
    public static RecoverySettings From(AbandonedCartOptions o, TimeZoneInfo storeZone) =>
        new(o.ReminderDelay, o.CouponDelay, o.SendCoupon, o.CouponPercent, o.CouponValidity, o.CouponPrefix, o.QuietHoursStart, o.QuietHoursEnd, o.CheckStock, o.AttributionWindow, storeZone.Id);
}

/// <summary>The ids a recovery flow goes by; deterministic, so any event for the customer finds their flow without an index.</summary>
public static class RecoveryIds
{
    public static string CustomerKey(string email) => Storage.StorageKeys.Hash(email.Trim().ToLowerInvariant());

    /// <summary>One orchestration instance per store and customer: a newer checkout replaces the running flow.</summary>
    public static string InstanceId(string storeId, string customerKey) => $"ac-{storeId}-{customerKey}";

    public static string InstancePrefix(string storeId) => $"ac-{storeId}-";

    /// <summary>One flow run: the instance plus the checkout event that started it.</summary>
    public static string FlowId(string instanceId, string startEventId) => $"{instanceId}.{Storage.StorageKeys.Hash(startEventId)[..8]}";
}
