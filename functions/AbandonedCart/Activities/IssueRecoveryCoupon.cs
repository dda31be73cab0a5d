using System.Globalization;
using System.Text.Json;
using Automation.Effects;
using Automation.Platforms;
using Automation.Runtime;
using Automation.Stores;
using Microsoft.Azure.Functions.Worker;

namespace Automation.AbandonedCart;

/// <summary>
/// Activity: re-check, then create a unique single-use coupon at the platform, once per flow. The code is keyed from
/// the flow, so a retry after a crash asks for the same code and recognises "already exists" as its own.
/// A permanent refusal is recorded and the flow goes on without a coupon; a transient failure is retried by Durable.
/// </summary>
public sealed class IssueRecoveryCoupon(RecoveryRecheck recheck, StoreRegistry stores, ICheckoutCoupons coupons, EffectLedger ledger, SigningKeys keys, TimeProvider time, ILogger<IssueRecoveryCoupon> logger)
{
    [Function(nameof(IssueRecoveryCoupon))]
    public async Task<RecoveryStepResult> Run([ActivityTrigger] RecoveryStep step, CancellationToken cancellationToken)
    {
        var state = step.State;
        if (!state.Settings.SendCoupon) return RecoveryStepResult.Skipped("coupons are off for this flow", time.GetUtcNow());
        if (await recheck.StopReasonAsync(state, cancellationToken) is { } stop) return RecoveryStepResult.Exit(stop, time.GetUtcNow());

        var store = stores.Get(state.StoreId);
        var now = time.GetUtcNow();
        var code = CheckoutCoupons.CodeFor(keys, state.Settings.CouponPrefix, state.FlowId);
        var request = new CouponRequest(code, $"Cart recovery {code}", state.Settings.CouponPercent, state.Email, state.CustomerId, now, now + state.Settings.CouponValidity);
        try
        {
            var recorded = await ledger.RunOnceAsync(store.Id, "coupon:" + step.EffectKey, async (prior, ct) =>
            {
                var issued = await coupons.CreateAsync(store, request, ct);
                if (issued.AlreadyExisted && prior == PriorAttempt.None)
                    logger.LogWarning("Coupon code for flow {FlowId} already existed at the platform without an earlier attempt; using it", state.FlowId);
                return JsonSerializer.Serialize(new IssuedRecoveryCoupon(issued.Code, issued.PlatformId, request.EndsAt), Json.Options);
            }, cancellationToken);
            var coupon = JsonSerializer.Deserialize<IssuedRecoveryCoupon>(recorded!, Json.Options)!;
            var expires = coupon.ExpiresAt.ToString("u", CultureInfo.InvariantCulture);
            return RecoveryStepResult.Done($"coupon {coupon.Code} ({state.Settings.CouponPercent}% off, single use) valid until {expires}", now) with
            {
                CouponCode = coupon.Code,
                CouponId = coupon.PlatformId,
                CouponExpiresAt = coupon.ExpiresAt,
            };
        }
        catch (PlatformException ex) when (!ex.IsTransient)
        {
            return RecoveryStepResult.Skipped($"coupon not created: {ex.Message}", now);
        }
    }

    /// <summary>What the ledger keeps for the coupon, so a retried step reports the same code and dates.</summary>
    private sealed record IssuedRecoveryCoupon(string Code, string? PlatformId, DateTimeOffset ExpiresAt);
}
