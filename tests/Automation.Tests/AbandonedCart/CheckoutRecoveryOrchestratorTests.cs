using Automation.AbandonedCart;
using Automation.Events;
using Automation.Flows;
using Automation.Tests.Infrastructure;

namespace Automation.Tests.AbandonedCart;

/// <summary>Every branch of the recovery flow, with a Moq'd orchestration context: timers, events and activities scripted.</summary>
public sealed class CheckoutRecoveryOrchestratorTests
{
    private static readonly DateTime Start = new(2026, 3, 2, 10, 0, 0, DateTimeKind.Utc);
    private OrchestrationDriver _driver = null!;

    [SetUp]
    public void SetUp()
    {
        _driver = new OrchestrationDriver("ac-s1-key", Start);
        _driver.OnActivity(nameof(SendRecoveryReminder), _ => RecoveryStepResult.Done("reminder sent", _driver.Now))
            .OnActivity(nameof(IssueRecoveryCoupon), _ => RecoveryStepResult.Done("coupon BACKX", _driver.Now) with { CouponCode = "BACKX", CouponExpiresAt = _driver.Now.AddDays(7) })
            .OnActivity(nameof(SendRecoveryCouponEmail), _ => RecoveryStepResult.Done("coupon email sent", _driver.Now));
    }

    private static RecoveryState State(string checkoutId = "tok-1", string quietStart = "00:00:00", string quietEnd = "00:00:00", string zone = "UTC", bool coupons = true) => new()
    {
        StoreId = "s1",
        FlowId = "ac-s1-key.0001",
        StartedAt = Start,
        CheckoutId = checkoutId,
        CustomerKey = "key",
        Email = "ada@example.test",
        Currency = "EUR",
        TotalPrice = 59.90m,
        LineItems = [new LineItem(11, 111, "MUG-1", "Blue mug", 2, 14.95m)],
        CheckoutUpdatedAt = Start,
        StartedByEventId = "checkout:" + checkoutId,
        Settings = new RecoverySettings(TimeSpan.FromHours(1), TimeSpan.FromHours(24), coupons, 10m, TimeSpan.FromDays(7), "BACK",
            TimeSpan.Parse(quietStart, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.Parse(quietEnd, System.Globalization.CultureInfo.InvariantCulture), true, TimeSpan.FromDays(7), zone),
    };

    private Task<string> Run(RecoveryState? state = null) => CheckoutRecoveryOrchestrator.Run(_driver.Context.Object, state ?? State());

    private FlowProgress Progress => (FlowProgress)_driver.CustomStatus!;

    private IEnumerable<string> Actions => _driver.ActivityCalls.Select(c => c.Name);

    private RecoveryOutcome Outcome => (RecoveryOutcome)_driver.ActivityCalls.Single(c => c.Name == nameof(RecordRecoveryOutcome)).Input!;

    private static RecoveryOrder Order(DateTime at, params string[] codes) => new(9001, "#1001", 59.90m, "EUR", codes, at);

    [Test]
    public async Task NothingHappens_RemindsThenCouponsThenCompletes()
    {
        var flow = Run();
        Assert.That(_driver.PendingTimers, Is.EqualTo(new[] { Start.AddHours(1) }), "waits the reminder delay from the start");
        _driver.FireNextTimer();
        Assert.That(_driver.PendingTimers, Is.EqualTo(new[] { Start.AddHours(25) }), "then the coupon delay from the reminder");
        _driver.FireNextTimer();

        Assert.That(await flow, Is.EqualTo("completed"));
        Assert.That(Actions, Is.EqualTo(new[] { nameof(SendRecoveryReminder), nameof(IssueRecoveryCoupon), nameof(SendRecoveryCouponEmail), nameof(RecordRecoveryOutcome) }));
        Assert.That(((RecoveryStep)_driver.ActivityCalls[2].Input!).State.CouponCode, Is.EqualTo("BACKX"), "the coupon email carries the issued code");
        Assert.That(((RecoveryStep)_driver.ActivityCalls[0].Input!).EffectKey, Is.EqualTo("ac-s1-key.0001:send-reminder"), "effects are keyed by flow and step");
        Assert.That(Progress.State, Is.EqualTo(FlowState.Completed));
        Assert.That(Progress.History.Select(h => $"{h.Step}:{h.Outcome}"), Is.EqualTo(new[]
        {
            "start:Started", "wait-before-reminder:Waited", "send-reminder:Done", "wait-before-coupon:Waited", "issue-coupon:Done", "send-coupon-email:Done",
        }));
        Assert.That(Outcome, Has.Property(nameof(RecoveryOutcome.CouponCode)).EqualTo("BACKX").And.Property(nameof(RecoveryOutcome.RecoveredOrderId)).Null);
    }

    [Test]
    public async Task OrderPlacedBeforeTheReminder_SendsNothingAndExits()
    {
        var flow = Run();
        _driver.Now = Start.AddMinutes(20);
        _driver.RaiseEvent(RecoveryEvents.OrderPlaced, Order(_driver.Now));

        Assert.That(await flow, Is.EqualTo(CheckoutRecoveryOrchestrator.OrderPlaced));
        Assert.That(Actions, Is.EqualTo(new[] { nameof(RecordRecoveryOutcome) }));
        Assert.That(_driver.PendingTimers, Is.Empty, "the losing timer is cancelled");
        Assert.That(Outcome.RecoveredOrderId, Is.Null, "an order before any message is not attributed");
        Assert.That(Progress, Has.Property(nameof(FlowProgress.State)).EqualTo(FlowState.Exited).And.Property(nameof(FlowProgress.EndReason)).EqualTo("order-placed"));
    }

    [Test]
    public async Task OrderPlacedBetweenTheSteps_NoCouponAndTheReminderWinsTheOrder()
    {
        var flow = Run();
        _driver.FireNextTimer();
        _driver.Now = Start.AddHours(3);
        _driver.RaiseEvent(RecoveryEvents.OrderPlaced, Order(_driver.Now));

        Assert.That(await flow, Is.EqualTo(CheckoutRecoveryOrchestrator.OrderPlaced));
        Assert.That(Actions, Does.Not.Contain(nameof(IssueRecoveryCoupon)));
        Assert.That(Outcome, Has.Property(nameof(RecoveryOutcome.RecoveredOrderId)).EqualTo(9001)
            .And.Property(nameof(RecoveryOutcome.RecoveredRevenue)).EqualTo(59.90m)
            .And.Property(nameof(RecoveryOutcome.RecoveredBy)).EqualTo(CheckoutRecoveryOrchestrator.SendReminderStep));
    }

    [Test]
    public async Task Unsubscribed_ExitsAndNoCouponFollows()
    {
        var flow = Run();
        _driver.FireNextTimer();
        _driver.RaiseEvent(RecoveryEvents.Unsubscribed, "unsubscribed");

        Assert.That(await flow, Is.EqualTo(CheckoutRecoveryOrchestrator.Unsubscribed));
        Assert.That(Actions, Is.EqualTo(new[] { nameof(SendRecoveryReminder), nameof(RecordRecoveryOutcome) }));
    }

    [Test]
    public async Task ClosedCheckout_ExitsOnlyForItsOwnCheckout()
    {
        var flow = Run();
        _driver.RaiseEvent(RecoveryEvents.CheckoutClosed, new ClosedCheckout("tok-other", "completed"));
        Assert.That(flow.IsCompleted, Is.False, "another checkout of the customer closing changes nothing");

        _driver.RaiseEvent(RecoveryEvents.CheckoutClosed, new ClosedCheckout("tok-1", "completed"));
        Assert.That(await flow, Is.EqualTo(CheckoutRecoveryOrchestrator.CheckoutClosed));
    }

    [Test]
    public async Task NewerStateOfTheSameCheckout_UpdatesTheWaitingFlow()
    {
        var flow = Run();
        var newer = State() with { CheckoutUpdatedAt = Start.AddMinutes(5), StartedByEventId = "checkout:tok-1:later", TotalPrice = 18m, LineItems = [new LineItem(14, 141, "HAT-1", "Wool hat", 1, 18m)] };
        _driver.RaiseEvent(RecoveryEvents.CheckoutChanged, newer);
        Assert.That(_driver.PendingTimers, Is.EqualTo(new[] { Start.AddHours(1) }), "still waits for the same reminder time");
        _driver.RaiseEvent(RecoveryEvents.CheckoutChanged, State() with { StartedByEventId = "checkout:tok-1:older", CheckoutUpdatedAt = Start.AddMinutes(-5) });
        _driver.FireNextTimer();
        _driver.FireNextTimer();
        await flow;

        var reminder = (RecoveryStep)_driver.ActivityCalls[0].Input!;
        Assert.That(reminder.State.LineItems.Single().Title, Is.EqualTo("Wool hat"), "the newest items, not the older update");
        Assert.That(Progress.History.Count(h => h.Outcome == "Updated"), Is.EqualTo(1));
    }

    [Test]
    public async Task NewerCheckoutFromTheCustomer_EndsThisFlowAsReplacedAndContinuesWithTheNewOne()
    {
        var flow = Run();
        var next = State(checkoutId: "tok-2") with { FlowId = "ac-s1-key.0002", StartedAt = Start.AddMinutes(10), CheckoutUpdatedAt = Start.AddMinutes(10) };
        _driver.Now = Start.AddMinutes(10);
        _driver.RaiseEvent(RecoveryEvents.CheckoutChanged, next);

        Assert.That(await flow, Is.EqualTo(CheckoutRecoveryOrchestrator.Replaced));
        Assert.That(Outcome, Has.Property(nameof(RecoveryOutcome.FlowId)).EqualTo("ac-s1-key.0001").And.Property(nameof(RecoveryOutcome.EndReason)).EqualTo("replaced"));
        var continued = (RecoveryState)_driver.ContinuedWith!;
        Assert.That(continued, Has.Property(nameof(RecoveryState.CheckoutId)).EqualTo("tok-2").And.Property(nameof(RecoveryState.ReplacedFlowId)).EqualTo("ac-s1-key.0001"));
        Assert.That(continued.CarriedHistory![^1].Note, Does.Contain("replaced"), "the new execution keeps the old one's history");
    }

    [Test]
    public async Task ReminderDueInQuietHours_WaitsForTheirEndThenSends()
    {
        // Quiet 10:30–12:00 UTC; the reminder falls due at 11:00.
        var flow = Run(State(quietStart: "10:30:00", quietEnd: "12:00:00"));
        _driver.FireNextTimer();

        Assert.That(Actions, Is.Empty, "nothing is sent inside quiet hours");
        Assert.That(_driver.PendingTimers, Is.EqualTo(new[] { Start.AddHours(2) }), "delayed to their end, not dropped");
        Assert.That(Progress.History[^1], Has.Property(nameof(FlowHistoryEntry.Outcome)).EqualTo("Delayed").And.Property(nameof(FlowHistoryEntry.Note)).Contain("quiet hours"));

        _driver.FireNextTimer();
        Assert.That(_driver.ActivityCalls[0].Name, Is.EqualTo(nameof(SendRecoveryReminder)));
        _driver.FireNextTimer();
        await flow;
    }

    [Test]
    public async Task QuietHoursInTheStoresZone_AcrossMidnight()
    {
        // 21:00–08:00 in New York; 11:00 UTC is 06:00 there (winter), so the reminder waits until 13:00 UTC.
        var flow = Run(State(quietStart: "21:00:00", quietEnd: "08:00:00", zone: "America/New_York"));
        _driver.FireNextTimer();
        Assert.That(_driver.PendingTimers, Is.EqualTo(new[] { new DateTime(2026, 3, 2, 13, 0, 0, DateTimeKind.Utc) }));
        _driver.FireNextTimer();
        _driver.FireNextTimer();
        Assert.That(await flow, Is.EqualTo("completed"));
    }

    [Test]
    public async Task ItemsNoLongerAvailable_ExitsWithTheReasonAndSendsNothingMore()
    {
        _driver.OnActivity(nameof(SendRecoveryReminder), _ => RecoveryStepResult.Exit("items no longer available: Blue mug", _driver.Now));
        var flow = Run();
        _driver.FireNextTimer();

        Assert.That(await flow, Is.EqualTo("items no longer available: Blue mug"));
        Assert.That(Actions, Is.EqualTo(new[] { nameof(SendRecoveryReminder), nameof(RecordRecoveryOutcome) }));
    }

    [Test]
    public async Task CouponRefusedByThePlatform_RecordedAndNoCouponEmail()
    {
        _driver.OnActivity(nameof(IssueRecoveryCoupon), _ => RecoveryStepResult.Skipped("coupon not created: INVALID", _driver.Now));
        var flow = Run();
        _driver.FireNextTimer();
        _driver.FireNextTimer();

        Assert.That(await flow, Is.EqualTo("completed without a coupon"));
        Assert.That(Actions, Does.Not.Contain(nameof(SendRecoveryCouponEmail)));
        Assert.That(Progress.History.Select(h => $"{h.Step}:{h.Outcome}"), Does.Contain("issue-coupon:Skipped").And.Contain("send-coupon-email:Skipped"));
    }

    [Test]
    public async Task CouponStepFailingAfterItsRetries_IsRecordedAndTheFlowStillEnds()
    {
        _driver.OnActivity(nameof(IssueRecoveryCoupon), _ => throw new InvalidOperationException("the platform is down"));
        var flow = Run();
        _driver.FireNextTimer();
        _driver.FireNextTimer();

        Assert.That(await flow, Is.EqualTo("completed without a coupon"));
        Assert.That(Progress.History.Single(h => h.Step == "issue-coupon").Note, Does.Contain("the platform is down"));
    }

    [Test]
    public async Task CouponsOff_CompletesAfterTheReminder()
    {
        var flow = Run(State(coupons: false));
        _driver.FireNextTimer();

        Assert.That(await flow, Does.StartWith("completed"));
        Assert.That(Actions, Is.EqualTo(new[] { nameof(SendRecoveryReminder), nameof(RecordRecoveryOutcome) }));
    }
}
