using Microsoft.Azure.Functions.Worker;

namespace Automation.AbandonedCart;

/// <summary>Activity: re-check, then email the reminder (items, total, recovery link), once per flow.</summary>
public sealed class SendRecoveryReminder(RecoveryRecheck recheck, RecoveryEmails emails, TimeProvider time)
{
    [Function(nameof(SendRecoveryReminder))]
    public async Task<RecoveryStepResult> Run([ActivityTrigger] RecoveryStep step, CancellationToken cancellationToken)
    {
        if (await recheck.StopReasonAsync(step.State, cancellationToken) is { } stop) return RecoveryStepResult.Exit(stop, time.GetUtcNow());
        // Sent "at" when sending began: an order placed while the email was on its way counts as after it.
        var sentAt = time.GetUtcNow();
        await emails.SendAsync(RecoveryEmail.Reminder, step, cancellationToken);
        return RecoveryStepResult.Done(step.State.Settings.SendCoupon ? "reminder sent" : "reminder sent; coupons are off for this flow", sentAt);
    }
}
