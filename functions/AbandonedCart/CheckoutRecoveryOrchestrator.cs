using System.Globalization;
using Automation.Flows;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Automation.AbandonedCart;

/// <summary>
/// The recovery flow, top to bottom as a merchant would draw it:
/// wait → re-check → reminder → wait for an order or time out → re-check → unique coupon → coupon email.
/// While it waits, an order, a closed checkout or an unsubscribe ends it at once (external events to the customer's
/// instance), a newer state of the same checkout updates it, and a newer checkout from the customer replaces it.
/// Quiet hours delay a message to their end, never drop it. Deterministic: time is the orchestration's, every
/// effect happens in an activity with a key made of this flow's id and the step.
/// </summary>
public static class CheckoutRecoveryOrchestrator
{
    /// <summary>
    /// Versioned by name: a change to the steps is a new orchestrator (<c>…V2</c>) that new flows start with, and this one
    /// stays registered until its instances have ended (in-flight instances replay the code they started with).
    /// </summary>
    public const string Name = "RecoverAbandonedCheckoutV1";
    public const string Flow = "abandoned-checkout";
    public const int Version = 1;

    public const string StartStep = "start";
    public const string WaitBeforeReminder = "wait-before-reminder";
    public const string SendReminderStep = "send-reminder";
    public const string WaitBeforeCoupon = "wait-before-coupon";
    public const string IssueCouponStep = "issue-coupon";
    public const string SendCouponEmailStep = "send-coupon-email";

    /// <summary>End reasons of the exits.</summary>
    public const string OrderPlaced = "order-placed";
    public const string CheckoutClosed = "checkout-closed";
    public const string Unsubscribed = "unsubscribed";
    public const string Replaced = "replaced";

    /// <summary>The orchestration's output is its end reason (no personal data).</summary>
    [Function(Name)]
    public static Task<string> Run([OrchestrationTrigger] TaskOrchestrationContext context, RecoveryState state) =>
        new CheckoutRecoveryFlow(context, state).RunAsync();
}

/// <summary>One execution of the flow (a replacement continues as a new execution of the same instance).</summary>
internal sealed class CheckoutRecoveryFlow
{
    /// <summary>Rides out an SMTP or platform outage of about forty minutes before a step is given up as skipped.</summary>
    internal static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 10, firstRetryInterval: TimeSpan.FromSeconds(5), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(20)));

    private readonly TaskOrchestrationContext _context;
    private readonly FlowJournal _journal;
    private readonly Signals _signals;
    private RecoveryState _state;

    public CheckoutRecoveryFlow(TaskOrchestrationContext context, RecoveryState state)
    {
        _context = context;
        _state = state;
        _journal = new FlowJournal(context, state.StoreId, CheckoutRecoveryOrchestrator.Flow, CheckoutRecoveryOrchestrator.Version, state.StartedAt, state.CarriedHistory);
        _signals = new Signals(context);
    }

    private RecoverySettings Settings => _state.Settings;
    private DateTimeOffset Now => new(_context.CurrentUtcDateTime, TimeSpan.Zero);

    public async Task<string> RunAsync()
    {
        _journal.Record(CheckoutRecoveryOrchestrator.StartStep, "Started",
            (_state.ReplacedFlowId is null ? "" : "replaced the customer's earlier checkout; ") + $"{_state.LineItems.Count} items, {Money(_state.TotalPrice)} {_state.Currency}");
        try
        {
            await WaitAsync(CheckoutRecoveryOrchestrator.WaitBeforeReminder, _state.StartedAt + Settings.ReminderDelay);
            var reminder = await ActAsync(CheckoutRecoveryOrchestrator.SendReminderStep, nameof(SendRecoveryReminder));
            if (reminder.IsDone) _state = _state with { ReminderSentAt = reminder.At };
            if (!Settings.SendCoupon) return (await EndAsync(FlowState.Completed, "completed: coupons are off for this flow")).Reason;

            await WaitAsync(CheckoutRecoveryOrchestrator.WaitBeforeCoupon, (_state.ReminderSentAt ?? Now) + Settings.CouponDelay);
            var coupon = await ActAsync(CheckoutRecoveryOrchestrator.IssueCouponStep, nameof(IssueRecoveryCoupon));
            if (coupon.IsDone) _state = _state with { CouponCode = coupon.CouponCode, CouponId = coupon.CouponId, CouponExpiresAt = coupon.CouponExpiresAt };
            if (_state.CouponCode is null)
            {
                _journal.Record(CheckoutRecoveryOrchestrator.SendCouponEmailStep, "Skipped", "no coupon to send");
                return (await EndAsync(FlowState.Completed, "completed without a coupon")).Reason;
            }

            var email = await ActAsync(CheckoutRecoveryOrchestrator.SendCouponEmailStep, nameof(SendRecoveryCouponEmail));
            if (email.IsDone) _state = _state with { CouponEmailSentAt = email.At };
            return (await EndAsync(FlowState.Completed, "completed")).Reason;
        }
        catch (FlowEnded ended)
        {
            return ended.Reason;
        }
    }

    /// <summary>Waits until <paramref name="until"/>; exits end the flow (as <see cref="FlowEnded"/>), updates keep it waiting.</summary>
    private async Task WaitAsync(string step, DateTimeOffset until, bool isStep = true)
    {
        _journal.Waiting(step, until);
        while (true)
        {
            using var timerCancel = new CancellationTokenSource();
            var timer = _context.CreateTimer(until.UtcDateTime, timerCancel.Token);
            var winner = await Task.WhenAny(timer, _signals.AnyAsync());
            if (winner == timer)
            {
                if (isStep) _journal.Record(step, "Waited", $"until {until.ToString("u", CultureInfo.InvariantCulture)}");
                return;
            }

            // An event came first: the losing timer is cancelled, then the event is acted on.
            timerCancel.Cancel();
            await OnSignalAsync(step, _signals.Take());
        }
    }

    /// <summary>Runs an action's activity (it re-checks first), after the store's quiet hours if it is due inside them.</summary>
    private async Task<RecoveryStepResult> ActAsync(string step, string activity)
    {
        while (QuietHours.EndIfQuiet(Now, TimeZoneInfo.FindSystemTimeZoneById(Settings.TimeZone), Settings.QuietHoursStart, Settings.QuietHoursEnd) is { } quietEnd)
        {
            _journal.Record(step, "Delayed", $"quiet hours in {Settings.TimeZone}: delayed to {quietEnd.ToString("u", CultureInfo.InvariantCulture)}");
            await WaitAsync(step, quietEnd, isStep: false);
        }

        RecoveryStepResult result;
        try
        {
            result = await _context.CallActivityAsync<RecoveryStepResult>(activity, new RecoveryStep(_state, step), Retry);
        }
        catch (TaskFailedException ex)
        {
            result = RecoveryStepResult.Skipped($"gave up after retries: {ex.FailureDetails.ErrorType}: {ex.FailureDetails.ErrorMessage}", Now);
        }

        _journal.Record(step, result.Outcome, result.Note);
        if (result.Outcome == RecoveryStepResult.Exited) throw await EndAsync(FlowState.Exited, result.Note);
        return result;
    }

    private async Task OnSignalAsync(string step, (string Name, Task Event) signal)
    {
        switch (signal.Name)
        {
            case RecoveryEvents.OrderPlaced:
                var order = ((Task<RecoveryOrder>)signal.Event).Result;
                var winner = RecoveryAttribution.WinningStep(_state, order);
                _journal.Record(step, "Exited", $"order {order.OrderNumber ?? order.OrderId.ToString(CultureInfo.InvariantCulture)}" + (winner is null ? "" : $": recovered by {winner}"));
                throw await EndAsync(FlowState.Exited, CheckoutRecoveryOrchestrator.OrderPlaced, order, winner);

            case RecoveryEvents.CheckoutClosed:
                var closed = ((Task<ClosedCheckout>)signal.Event).Result;
                if (closed.CheckoutId != _state.CheckoutId) return;
                _journal.Record(step, "Exited", $"checkout {closed.Reason}");
                throw await EndAsync(FlowState.Exited, CheckoutRecoveryOrchestrator.CheckoutClosed);

            case RecoveryEvents.Unsubscribed:
                _journal.Record(step, "Exited", "the customer unsubscribed");
                throw await EndAsync(FlowState.Exited, CheckoutRecoveryOrchestrator.Unsubscribed);

            case RecoveryEvents.CheckoutChanged:
                var next = ((Task<RecoveryState>)signal.Event).Result;
                // A repeat, or an older state delivered out of order: nothing new.
                if (next.CheckoutUpdatedAt <= _state.CheckoutUpdatedAt || next.StartedByEventId == _state.StartedByEventId) return;
                if (next.CheckoutId == _state.CheckoutId)
                {
                    _state = _state with
                    {
                        LineItems = next.LineItems,
                        TotalPrice = next.TotalPrice,
                        RecoveryUrl = next.RecoveryUrl ?? _state.RecoveryUrl,
                        FirstName = next.FirstName ?? _state.FirstName,
                        CheckoutUpdatedAt = next.CheckoutUpdatedAt,
                    };
                    _journal.Record(step, "Updated", $"checkout updated: {next.LineItems.Count} items, {Money(next.TotalPrice)} {next.Currency}");
                    return;
                }

                // A newer checkout from the same customer: this flow ends as replaced, and the instance goes on with the new checkout.
                _journal.Record(step, "Exited", "replaced by a newer checkout from the same customer");
                var ended = await EndAsync(FlowState.Exited, CheckoutRecoveryOrchestrator.Replaced);
                _context.ContinueAsNew(next with { ReplacedFlowId = _state.FlowId, CarriedHistory = _journal.Progress.History }, preserveUnprocessedEvents: true);
                throw ended;
        }
    }

    /// <summary>Records how the flow ended (kept after the instance is reused) and closes its journal.</summary>
    private async Task<FlowEnded> EndAsync(FlowState state, string reason, RecoveryOrder? order = null, string? recoveredBy = null)
    {
        var outcome = new RecoveryOutcome(_state.StoreId, _state.FlowId, _state.CustomerKey, state.ToString(), reason, _state.StartedAt, Now, _state.Currency,
            _state.ReminderSentAt, _state.CouponCode, _state.CouponEmailSentAt, Settings.AttributionWindow,
            recoveredBy is null ? null : order!.OrderId, recoveredBy is null ? null : order!.TotalPrice, recoveredBy);
        try
        {
            await _context.CallActivityAsync(nameof(RecordRecoveryOutcome), outcome, Retry);
        }
        catch (TaskFailedException ex)
        {
            _journal.Record("record-outcome", "Skipped", $"the outcome could not be recorded: {ex.FailureDetails.ErrorType}");
        }

        _journal.End(state, reason);
        return new FlowEnded(reason);
    }

    private static string Money(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>The flow has ended (its outcome is recorded): unwinds the steps.</summary>
    private sealed class FlowEnded(string reason) : Exception(reason)
    {
        public string Reason { get; } = reason;
    }

    /// <summary>
    /// The events the flow listens for, each waited for once at a time and re-armed after it arrives, so an event is
    /// never lost between two waits (Durable buffers it until it is waited for).
    /// </summary>
    private sealed class Signals
    {
        private readonly TaskOrchestrationContext _context;
        private readonly Dictionary<string, Task> _waiting = new(StringComparer.Ordinal);

        public Signals(TaskOrchestrationContext context)
        {
            _context = context;
            foreach (var name in new[] { RecoveryEvents.OrderPlaced, RecoveryEvents.Unsubscribed, RecoveryEvents.CheckoutClosed, RecoveryEvents.CheckoutChanged })
            {
                _waiting[name] = Wait(name);
            }
        }

        public Task AnyAsync() => Task.WhenAny(_waiting.Values);

        /// <summary>The first arrived event, in a fixed order (deterministic on replay); its wait is re-armed.</summary>
        public (string Name, Task Event) Take()
        {
            var (name, arrived) = _waiting.First(w => w.Value.IsCompleted);
            _waiting[name] = Wait(name);
            return (name, arrived);
        }

        private Task Wait(string name) => name switch
        {
            RecoveryEvents.OrderPlaced => _context.WaitForExternalEvent<RecoveryOrder>(name),
            RecoveryEvents.CheckoutClosed => _context.WaitForExternalEvent<ClosedCheckout>(name),
            RecoveryEvents.CheckoutChanged => _context.WaitForExternalEvent<RecoveryState>(name),
            _ => _context.WaitForExternalEvent<string>(name),
        };
    }
}

/// <summary>An action activity's input: the flow's state and the step (their effect key is flow id + step).</summary>
public sealed record RecoveryStep(RecoveryState State, string Step)
{
    public string EffectKey => $"{State.FlowId}:{Step}";
}

/// <summary>What an action activity did: Done, Skipped (with why) or Exited (the re-check said the flow should end).</summary>
public sealed record RecoveryStepResult(string Outcome, string Note, DateTimeOffset At)
{
    public const string Exited = nameof(Exited);

    public string? CouponCode { get; init; }
    public string? CouponId { get; init; }
    public DateTimeOffset? CouponExpiresAt { get; init; }

    public bool IsDone => Outcome == nameof(Done);

    public static RecoveryStepResult Done(string note, DateTimeOffset at) => new(nameof(Done), note, at);

    public static RecoveryStepResult Skipped(string note, DateTimeOffset at) => new(nameof(Skipped), note, at);

    public static RecoveryStepResult Exit(string note, DateTimeOffset at) => new(Exited, note, at);
}
