using Microsoft.Azure.Functions.Worker;

namespace Automation.AbandonedCart;

/// <summary>Activity: re-check, then email the coupon code, once per flow.</summary>
public sealed class SendRecoveryCouponEmail(RecoveryRecheck recheck, RecoveryEmails emails, TimeProvider time)
{
    [Function(nameof(SendRecoveryCouponEmail))]
    public async Task<RecoveryStepResult> Run([ActivityTrigger] RecoveryStep step, CancellationToken cancellationToken)
    {
        if (step.State.CouponCode is null) return RecoveryStepResult.Skipped("no coupon to send", time.GetUtcNow());
        if (await recheck.StopReasonAsync(step.State, cancellationToken) is { } stop) return RecoveryStepResult.Exit(stop, time.GetUtcNow());
        // Sent "at" when sending began: an order placed while the email was on its way counts as after it.
        var sentAt = time.GetUtcNow();
        await emails.SendAsync(RecoveryEmail.Coupon, step, cancellationToken);
        return RecoveryStepResult.Done("coupon email sent", sentAt);
    }
}
