using Automation.Effects;
using Automation.Flows;
using Automation.Platforms;
using Automation.Stores;

namespace Automation.AbandonedCart;

/// <summary>
/// The recovery flow, top to bottom: wait → re-check → reminder → wait → re-check → unique coupon → coupon email.
/// It ends early on an order, a closed checkout, an unsubscribe or a newer checkout from the same customer.
/// Every action re-checks first ("still worth sending?") and records why it skipped.
/// </summary>
public sealed class AbandonedCheckoutFlow(
    StoreRegistry stores,
    AbandonedCartSettings settings,
    ICheckoutStock stock,
    ICheckoutCoupons coupons,
    RecoveryEmails emails,
    EffectLedger ledger,
    ILogger<AbandonedCheckoutFlow> logger)
{
    public const string Name = "abandoned-checkout";

    /// <summary>Exits: each ends a waiting flow at once.</summary>
    public const string OrderPlaced = "order-placed";
    public const string CheckoutClosed = "checkout-closed";
    public const string Unsubscribed = "unsubscribed";
    public const string Replaced = "replaced";

    public const string SendReminderStep = "send-reminder";
    public const string IssueCouponStep = "issue-coupon";
    public const string SendCouponEmailStep = "send-coupon-email";

    // WARNING: running flows replay these steps by index. Changing steps means a new version (keep the old one registered).
    public FlowDefinition<RecoveryState> Definition => _definition ??= FlowDefinition.Create<RecoveryState>(Name, version: 1)
        .Wait("wait-before-reminder", s => s.Settings.ReminderDelay)
        .Act(SendReminderStep, SendReminderAsync)
        .Wait("wait-before-coupon", s => s.Settings.CouponDelay)
        .Act(IssueCouponStep, IssueCouponAsync)
        .Act(SendCouponEmailStep, SendCouponEmailAsync)
        .ExitOn(OrderPlaced, CheckoutClosed, Unsubscribed, Replaced);

    private FlowDefinition<RecoveryState>? _definition;

    // ── Condition: still worth acting? (order placed / unsubscribed / closed end the flow through its exits) ──

    private async Task<StepResult?> RecheckAsync(FlowStep<RecoveryState> step, bool isMessage, CancellationToken cancellationToken)
    {
        var store = stores.Find(step.Context.StoreId);
        if (store is null) return StepResult.Exit("store is no longer configured");
        if (!store.AutomationsEnabled) return StepResult.Exit("store automations are disabled");
        if (!settings.For(store.Id).Enabled) return StepResult.Exit("abandoned-cart recovery is disabled for the store");

        if (isMessage && QuietHours.EndIfQuiet(step.Context.Now, store.TimeZone, step.State.Settings.QuietHoursStart, step.State.Settings.QuietHoursEnd) is { } end)
            return StepResult.DelayUntil(end, $"quiet hours in {store.TimeZone.Id}: delayed to {end:u}");

        if (step.State.Settings.CheckStock)
        {
            var answer = await stock.CheckAsync(store, step.State.LineItems, cancellationToken);
            if (answer.Available == false) return StepResult.Exit(answer.Note);
        }

        return null;
    }

    // ── Actions ──

    private async Task<StepResult> SendReminderAsync(FlowStep<RecoveryState> step, CancellationToken cancellationToken)
    {
        if (await RecheckAsync(step, isMessage: true, cancellationToken) is { } stop) return stop;
        await emails.SendAsync(RecoveryEmail.Reminder, step.Context, step.State, cancellationToken);
        step.State = step.State with { ReminderSentAt = step.Context.Now };
        if (!step.State.Settings.SendCoupon) return StepResult.Done("reminder sent; coupons are off for this flow");
        return StepResult.Done("reminder sent");
    }

    private async Task<StepResult> IssueCouponAsync(FlowStep<RecoveryState> step, CancellationToken cancellationToken)
    {
        if (!step.State.Settings.SendCoupon) return StepResult.Skipped("coupons are off for this flow");

        // The coupon waits for the end of quiet hours too, so its 7 days start when the customer can read about it.
        if (await RecheckAsync(step, isMessage: true, cancellationToken) is { } stop) return stop;
        var store = stores.Get(step.Context.StoreId);
        var state = step.State;
        var code = CheckoutCoupons.CodeFor(state.Settings.CouponPrefix, step.Context.FlowId);
        var endsAt = step.Context.Now + state.Settings.CouponValidity;
        var request = new CouponRequest(code, $"Cart recovery {code}", state.Settings.CouponPercent, state.Email, state.CustomerId, step.Context.Now, endsAt);
        try
        {
            var result = await ledger.RunOnceAsync(store.Id, "coupon:" + step.Context.EffectKey(), async (prior, ct) =>
            {
                var issued = await coupons.CreateAsync(store, request, ct);
                if (issued.AlreadyExisted && prior == PriorAttempt.None)
                    logger.LogWarning("Coupon code for flow {FlowId} already existed at the platform without an earlier attempt; using it", step.Context.FlowId);
                return $"{issued.Code}|{issued.PlatformId}|{endsAt:O}";
            }, cancellationToken);
            var parts = (result ?? $"{code}||{endsAt:O}").Split('|');
            step.State = state with
            {
                CouponCode = parts[0],
                CouponId = parts[1].Length == 0 ? null : parts[1],
                CouponExpiresAt = DateTimeOffset.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture),
            };
            return StepResult.Done($"coupon {parts[0]} ({state.Settings.CouponPercent}% off, single use) valid until {parts[2]}");
        }
        catch (PlatformException ex) when (!ex.IsTransient)
        {
            // Permanent: recorded, and the flow moves on without a coupon email. Transient ones throw: the wake-up is retried.
            return StepResult.Skipped($"coupon not created: {ex.Message}");
        }
    }

    private async Task<StepResult> SendCouponEmailAsync(FlowStep<RecoveryState> step, CancellationToken cancellationToken)
    {
        if (step.State.CouponCode is null) return StepResult.Skipped("no coupon to send");
        if (await RecheckAsync(step, isMessage: true, cancellationToken) is { } stop) return stop;
        await emails.SendAsync(RecoveryEmail.Coupon, step.Context, step.State, cancellationToken);
        step.State = step.State with { CouponEmailSentAt = step.Context.Now };
        return StepResult.Done("coupon email sent");
    }
}
