using Automation.Flows;
using Automation.Returns;
using Automation.Returns.Activities;
using Automation.Stores;
using Microsoft.DurableTask;
using Moq;

namespace Automation.Tests.Returns;

/// <summary>
/// The orchestrator's branches with a Moq'd <see cref="TaskOrchestrationContext"/>: which activities it calls, in
/// which order, with which inputs and retry policy, and what the flow's history and end say. The activities' answers
/// are programmed per test; the activities themselves are exercised by the integration tests.
/// </summary>
public sealed class CarryOutReturnOrchestratorTests
{
    private const string StoreId = "shop";
    private const string Rma = "RMA-7K2M9Q4T";
    private const string ShopifyReturn = "gid://shopify/Return/777";
    private const string ReverseOrder = "gid://shopify/ReverseFulfillmentOrder/555";
    private static readonly DateTime Started = new(2026, 3, 10, 9, 0, 0, DateTimeKind.Utc);

    private Mock<TaskOrchestrationContext> _context = null!;
    private List<(string Activity, ReturnStepInput Input, TaskOptions? Options)> _calls = null!;
    private Dictionary<string, Func<ReturnStepInput, Task<ReturnStepResult>>> _answers = null!;
    private Queue<ReturnPlan> _plans = null!;
    private FlowProgress? _progress;

    [SetUp]
    public void SetUp()
    {
        _calls = [];
        _plans = new Queue<ReturnPlan>();
        _progress = null;
        _answers = new Dictionary<string, Func<ReturnStepInput, Task<ReturnStepResult>>>
        {
            [nameof(ReadReturnDecision)] = _ => Task.FromResult(ReturnStepResult.Done("read") with { Plan = _plans.Count > 1 ? _plans.Dequeue() : _plans.Peek() }),
            [nameof(RequestShopifyReturn)] = _ => Task.FromResult(ReturnStepResult.Done("requested", ShopifyReturn)),
            [nameof(ApproveShopifyReturn)] = _ => Task.FromResult(ReturnStepResult.Done("approved", ReverseOrder)),
        };

        // CallBase: the context's own non-abstract members (the event-or-timeout wait) run over the set-up ones.
        _context = new Mock<TaskOrchestrationContext> { CallBase = true };
        _context.SetupGet(c => c.InstanceId).Returns(StartReturnFlow.InstanceId(StoreId, Rma));
        _context.SetupGet(c => c.CurrentUtcDateTime).Returns(Started);
        _context.Setup(c => c.GetInput<CarryOutReturn>()).Returns(new CarryOutReturn(StoreId, Rma));
        _context.Setup(c => c.SetCustomStatus(It.IsAny<object?>())).Callback<object?>(status => _progress = (FlowProgress)status!);
        _context
            .Setup(c => c.CallActivityAsync<ReturnStepResult>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns<TaskName, object?, TaskOptions?>((name, input, options) =>
            {
                var step = (ReturnStepInput)input!;
                _calls.Add((name.Name, step, options));
                return _answers.TryGetValue(name.Name, out var answer) ? answer(step) : Task.FromResult(ReturnStepResult.Done(name.Name + " done"));
            });
    }

    private static ReturnPlan Plan(ReturnOutcome outcome, Platform platform = Platform.Shopify, string? shopifyReturnId = null, bool exchangeCode = false, bool refund = false) =>
        new(outcome, outcome.ToString().ToLowerInvariant(), platform, shopifyReturnId,
            Label: outcome == ReturnOutcome.Approved, ExchangeCode: exchangeCode, Refund: refund, EmailWarehouse: outcome == ReturnOutcome.Approved);

    private Task RunAsync(params ReturnPlan[] plans)
    {
        foreach (var plan in plans) _plans.Enqueue(plan);
        return CarryOutReturnOrchestrator.CarryOutReturnV1(_context.Object);
    }

    private string[] Activities => [.. _calls.Select(c => c.Activity)];

    private ReturnStepInput InputOf(string activity) => _calls.Single(c => c.Activity == activity).Input;

    private string[] Steps => [.. _progress!.History.Select(h => $"{h.Step}:{h.Outcome}")];

    private static Task<ReturnStepResult> Failing(string activity) =>
        Task.FromException<ReturnStepResult>(new TaskFailedException(activity, 7, new TaskFailureDetails("Automation.Platforms.PlatformException", "Shopify answered HTTP 503 for store shop.", null, null, null)));

    [Test]
    public async Task SelfServiceApprovedOnShopify_LabelThenRequestApproveAttachThenBothEmailsAndClose()
    {
        await RunAsync(Plan(ReturnOutcome.Approved));

        Assert.That(Activities, Is.EqualTo(new[]
        {
            nameof(ReadReturnDecision), nameof(IssueReturnLabel), nameof(RequestShopifyReturn), nameof(ApproveShopifyReturn), nameof(AttachReturnLabel),
            nameof(EmailReturnCustomer), nameof(EmailReturnWarehouse), nameof(CloseReturn),
        }));
        Assert.That(InputOf(nameof(ApproveShopifyReturn)), Is.EqualTo(new ReturnStepInput(StoreId, Rma) { ShopifyReturnId = ShopifyReturn }));
        Assert.That(InputOf(nameof(AttachReturnLabel)), Is.EqualTo(new ReturnStepInput(StoreId, Rma) { ShopifyReturnId = ShopifyReturn, ReverseFulfillmentOrderId = ReverseOrder }));
        Assert.That(_calls.Select(c => c.Input.Rma), Is.All.EqualTo(Rma));
        Assert.That(_progress!.State, Is.EqualTo(FlowState.Completed));
        Assert.That((_progress.StoreId, _progress.Flow, _progress.Version, _progress.StartedAt), Is.EqualTo((StoreId, "return", 1, new DateTimeOffset(Started))));
        Assert.That(_progress.EndReason, Is.EqualTo("Approved by rule approved: carried out."));
        Assert.That(Steps, Is.EqualTo(new[]
        {
            "decision:Done", "label:Done", "shopify-request:Done", "shopify-approve:Done", "shopify-label:Done", "email-customer:Done", "email-warehouse:Done", "close:Done",
        }));
    }

    [Test]
    public async Task EveryStep_RetriedByDurableForAnOutageOfMinutes()
    {
        await RunAsync(Plan(ReturnOutcome.Approved));

        var policies = _calls.Select(c => c.Options?.Retry?.Policy).ToList();
        Assert.That(policies, Is.All.Not.Null);
        var policy = policies[0]!;
        var waits = Enumerable.Range(0, policy.MaxNumberOfAttempts - 1)
            .Sum(i => Math.Min(policy.FirstRetryInterval.TotalSeconds * Math.Pow(policy.BackoffCoefficient, i), policy.MaxRetryInterval.TotalSeconds));
        Assert.That(TimeSpan.FromSeconds(waits), Is.GreaterThan(TimeSpan.FromMinutes(15)), "retries span an outage of minutes");
        Assert.That(policy.FirstRetryInterval, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(10)), "a blip is retried soon");
    }

    [Test]
    public async Task AskedForInShopifyAndApproved_ThatReturnIsApprovedNotRequestedAgain()
    {
        await RunAsync(Plan(ReturnOutcome.Approved, shopifyReturnId: "gid://shopify/Return/12345678901"));

        Assert.That(Activities, Does.Not.Contain(nameof(RequestShopifyReturn)));
        Assert.That(InputOf(nameof(ApproveShopifyReturn)).ShopifyReturnId, Is.EqualTo("gid://shopify/Return/12345678901"));
        Assert.That(InputOf(nameof(AttachReturnLabel)).ShopifyReturnId, Is.EqualTo("gid://shopify/Return/12345678901"));
    }

    [Test]
    public async Task ApprovedOnWooCommerce_LabelThenOrderNoteThenBothEmails()
    {
        await RunAsync(Plan(ReturnOutcome.Approved, Platform.WooCommerce));

        Assert.That(Activities, Is.EqualTo(new[]
        {
            nameof(ReadReturnDecision), nameof(IssueReturnLabel), nameof(NoteWooCommerceReturn), nameof(EmailReturnCustomer), nameof(EmailReturnWarehouse), nameof(CloseReturn),
        }));
        Assert.That(_progress!.State, Is.EqualTo(FlowState.Completed));
    }

    [Test]
    public async Task KeepItWithAutomaticRefund_NoLabelNoteRefundCustomerEmail()
    {
        await RunAsync(Plan(ReturnOutcome.KeepIt, Platform.WooCommerce, refund: true));

        Assert.That(Activities, Is.EqualTo(new[]
        {
            nameof(ReadReturnDecision), nameof(NoteWooCommerceReturn), nameof(RefundReturn), nameof(EmailReturnCustomer), nameof(CloseReturn),
        }));
    }

    [Test]
    public async Task KeepItWithoutRefund_ApprovedInShopifyWithoutLabelOrRefund()
    {
        await RunAsync(Plan(ReturnOutcome.KeepIt));

        Assert.That(Activities, Is.EqualTo(new[]
        {
            nameof(ReadReturnDecision), nameof(RequestShopifyReturn), nameof(ApproveShopifyReturn), nameof(EmailReturnCustomer), nameof(CloseReturn),
        }));
        Assert.That(_progress!.EndReason, Is.EqualTo("KeepIt by rule keepit: carried out."));
    }

    [Test]
    public async Task DeclinedShopifyRequest_DeclinedThereThenCustomerEmailed()
    {
        await RunAsync(Plan(ReturnOutcome.Declined, shopifyReturnId: ShopifyReturn));

        Assert.That(Activities, Is.EqualTo(new[] { nameof(ReadReturnDecision), nameof(DeclineShopifyReturn), nameof(EmailReturnCustomer), nameof(CloseReturn) }));
        Assert.That(InputOf(nameof(DeclineShopifyReturn)).ShopifyReturnId, Is.EqualTo(ShopifyReturn));
    }

    [Test]
    public async Task DeclinedSelfServiceOnShopify_NothingInShopifyAndTheHistorySaysWhy()
    {
        await RunAsync(Plan(ReturnOutcome.Declined));

        Assert.That(Activities, Is.EqualTo(new[] { nameof(ReadReturnDecision), nameof(EmailReturnCustomer), nameof(CloseReturn) }));
        Assert.That(_progress!.History.Single(h => h.Step == "shopify").Outcome, Is.EqualTo("Skipped"));
    }

    [Test]
    public async Task DeclinedOnWooCommerce_NoteAndCustomerEmail()
    {
        await RunAsync(Plan(ReturnOutcome.Declined, Platform.WooCommerce));

        Assert.That(Activities, Is.EqualTo(new[] { nameof(ReadReturnDecision), nameof(NoteWooCommerceReturn), nameof(EmailReturnCustomer), nameof(CloseReturn) }));
    }

    [Test]
    public async Task ApprovedExchange_FreeShippingCodeMadeBeforeTheCustomerEmail()
    {
        await RunAsync(Plan(ReturnOutcome.Approved, exchangeCode: true));

        var activities = Activities.ToList();
        Assert.That(activities, Does.Contain(nameof(IssueExchangeShippingCode)));
        Assert.That(activities.IndexOf(nameof(IssueExchangeShippingCode)), Is.GreaterThan(activities.IndexOf(nameof(AttachReturnLabel))).And.LessThan(activities.IndexOf(nameof(EmailReturnCustomer))));
    }

    [Test]
    public async Task HeldForReview_CustomerToldThenFlowWaitsForTheOperatorThenCarriesOutTheirDecision()
    {
        var decided = new TaskCompletionSource<ReturnReviewed>();
        var timerCancelled = false;
        _context.Setup(c => c.WaitForExternalEvent<ReturnReviewed>(StartReturnFlow.ReviewedEvent, It.IsAny<CancellationToken>())).Returns(decided.Task);
        _context.Setup(c => c.CreateTimer(Started + CarryOutReturnOrchestrator.ReviewWait, It.IsAny<CancellationToken>()))
            .Returns<DateTime, CancellationToken>((_, ct) =>
            {
                ct.Register(() => timerCancelled = true);
                return new TaskCompletionSource().Task;
            });

        var run = RunAsync(Plan(ReturnOutcome.ManualReview), Plan(ReturnOutcome.Approved));

        Assert.That(run.IsCompleted, Is.False, "waiting for the operator");
        Assert.That(Activities, Is.EqualTo(new[] { nameof(ReadReturnDecision), nameof(EmailReturnCustomer) }));
        Assert.That((_progress!.State, _progress.Step, _progress.NextDueAt), Is.EqualTo((FlowState.Waiting, "review", new DateTimeOffset(Started + CarryOutReturnOrchestrator.ReviewWait))));

        decided.SetResult(new ReturnReviewed(ReturnOutcome.Approved, "manual:approve"));
        await run;

        Assert.That(timerCancelled, Is.True, "the losing timer is cancelled");
        Assert.That(Activities, Is.EqualTo(new[]
        {
            nameof(ReadReturnDecision), nameof(EmailReturnCustomer), nameof(ReadReturnDecision), nameof(IssueReturnLabel), nameof(RequestShopifyReturn), nameof(ApproveShopifyReturn),
            nameof(AttachReturnLabel), nameof(EmailReturnCustomer), nameof(EmailReturnWarehouse), nameof(CloseReturn),
        }));
        Assert.That(Steps, Does.Contain("review:Decided"));
        Assert.That(_progress.State, Is.EqualTo(FlowState.Completed));
    }

    [Test]
    public async Task HeldForReview_NoDecisionInTime_FlowLetsGoWithoutFlaggingTheReturn()
    {
        _context.Setup(c => c.WaitForExternalEvent<ReturnReviewed>(StartReturnFlow.ReviewedEvent, It.IsAny<CancellationToken>()))
            .Returns<string, CancellationToken>((_, ct) =>
            {
                var never = new TaskCompletionSource<ReturnReviewed>();
                ct.Register(() => never.TrySetCanceled(ct));
                return never.Task;
            });
        _context.Setup(c => c.CreateTimer(Started + CarryOutReturnOrchestrator.ReviewWait, It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);

        await RunAsync(Plan(ReturnOutcome.ManualReview));

        Assert.That(Activities, Is.EqualTo(new[] { nameof(ReadReturnDecision), nameof(EmailReturnCustomer) }));
        Assert.That(_progress!.State, Is.EqualTo(FlowState.Exited));
        Assert.That(_progress.EndReason, Does.StartWith("No operator decided within 30 days"));
        Assert.That(Steps.Last(), Is.EqualTo("review:TimedOut"));
    }

    [Test]
    public async Task StepKeepsFailingPastItsRetries_ReturnFlaggedForAnOperatorAndFlowFailedWithTheError()
    {
        _answers[nameof(ApproveShopifyReturn)] = _ => Failing(nameof(ApproveShopifyReturn));

        await RunAsync(Plan(ReturnOutcome.Approved));

        Assert.That(Activities, Is.EqualTo(new[]
        {
            nameof(ReadReturnDecision), nameof(IssueReturnLabel), nameof(RequestShopifyReturn), nameof(ApproveShopifyReturn), nameof(FlagReturnForOperator),
        }));
        Assert.That(InputOf(nameof(FlagReturnForOperator)).Problem, Does.StartWith("shopify-approve: still failing after 10 attempts").And.Contain("HTTP 503"));
        Assert.That(_progress!.State, Is.EqualTo(FlowState.Failed));
        Assert.That(_progress.EndReason, Does.StartWith("shopify-approve: still failing"));
        Assert.That(Steps.TakeLast(2), Is.EqualTo(new[] { "shopify-approve:Failed", "flag:Done" }));
    }

    [Test]
    public async Task PlatformRefusesAStep_FlowExitsWithTheReasonAndTheReturnIsFlagged_NoEmailSent()
    {
        _answers[nameof(ApproveShopifyReturn)] = _ => Task.FromResult(new ReturnStepResult(ReturnStepStatus.Refused, "Shopify returnApproveRequest failed: Return is not approvable."));

        await RunAsync(Plan(ReturnOutcome.Approved));

        Assert.That(Activities, Does.Not.Contain(nameof(EmailReturnCustomer)).And.Not.Contain(nameof(CloseReturn)));
        Assert.That(Activities.Last(), Is.EqualTo(nameof(FlagReturnForOperator)));
        Assert.That(InputOf(nameof(FlagReturnForOperator)).Problem, Is.EqualTo("shopify-approve: Shopify returnApproveRequest failed: Return is not approvable."));
        Assert.That(_progress!.State, Is.EqualTo(FlowState.Exited));
        Assert.That(_progress.EndReason, Is.EqualTo("Stopped at shopify-approve: Shopify returnApproveRequest failed: Return is not approvable."));
        Assert.That(Steps, Does.Contain("shopify-approve:Refused"));
    }

    [Test]
    public async Task ReturnErasedMeanwhile_FlowExitsQuietly()
    {
        _answers[nameof(IssueReturnLabel)] = _ => Task.FromResult(new ReturnStepResult(ReturnStepStatus.Gone, "The return no longer exists (erased on the customer's request)."));

        await RunAsync(Plan(ReturnOutcome.Approved));

        Assert.That(Activities, Is.EqualTo(new[] { nameof(ReadReturnDecision), nameof(IssueReturnLabel) }));
        Assert.That((_progress!.State, _progress.EndReason), Is.EqualTo((FlowState.Exited, "The return no longer exists (erased on the customer's request).")));
    }

    [Test]
    public async Task Replayed_SameStepsWithTheSameInputs()
    {
        await RunAsync(Plan(ReturnOutcome.Approved, exchangeCode: true));
        var first = _calls.ToList();
        _calls.Clear();

        await CarryOutReturnOrchestrator.CarryOutReturnV1(_context.Object);

        Assert.That(_calls.Select(c => (c.Activity, c.Input)), Is.EqualTo(first.Select(c => (c.Activity, c.Input))));
    }
}
