using Automation.Flows;
using Automation.Returns.Activities;
using Automation.Stores;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Automation.Returns;

/// <summary>
/// Carries out a decided return, the way a merchant would draw it:
/// read the decision → (held for review: tell the customer, wait for the operator) → make the label → record the
/// decision at the platform → exchange code → refund → email the customer → email the warehouse → close.
/// Every step is an activity that makes its one effect once (through the effect ledger, keyed by the RMA) and, after
/// a crash, looks at the platform for what the lost attempt made before acting. A step that fails for a while is
/// retried by Durable; one the platform refuses, or one that keeps failing past its retries, ends the flow with the
/// reason in its history and the return flagged for an operator.
/// </summary>
/// <remarks>
/// Deterministic: the orchestration's own clock, no I/O, no randomness. Its name carries its version: a change to
/// the steps that running instances could not replay is a new <c>CarryOutReturnV2</c>, and V1 stays registered until
/// its last instance has ended (see the README).
/// </remarks>
public static class CarryOutReturnOrchestrator
{
    public const string Flow = "return";
    public const int Version = 1;

    /// <summary>How long a held return waits for an operator; deciding it later starts the flow again.</summary>
    public static readonly TimeSpan ReviewWait = TimeSpan.FromDays(30);

    /// <summary>
    /// Rides out an outage of about 20 minutes (a platform answering 5xx/429 after its client's own retries, SMTP
    /// down, an effect another attempt holds): retries after 5 s, 10 s, 20 s, … then every 5 minutes, 10 attempts in all.
    /// </summary>
    // WARNING: running instances replay their retries with this policy; a change applies to their next step only if
    // it keeps the same number of attempts already recorded.
    public static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 10, firstRetryInterval: TimeSpan.FromSeconds(5), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(5)));

    [Function(nameof(CarryOutReturnV1))]
    public static async Task CarryOutReturnV1([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var start = context.GetInput<CarryOutReturn>() ?? throw new InvalidOperationException($"{nameof(CarryOutReturnV1)} was started without its input.");
        var journal = new FlowJournal(context, start.StoreId, Flow, Version, new DateTimeOffset(context.CurrentUtcDateTime, TimeSpan.Zero));
        var steps = new Steps(context, journal, new ReturnStepInput(start.StoreId, start.Rma));
        try
        {
            // Condition: what was decided.
            var plan = await steps.ReadDecisionAsync();

            // Held for review: the customer hears we are looking at it; the operator's decision resumes the flow.
            if (plan.Outcome == ReturnOutcome.ManualReview)
            {
                await steps.RunAsync("email-customer", nameof(EmailReturnCustomer));
                if (await steps.WaitForReviewAsync() is not { } reviewed) return;
                plan = reviewed;
            }

            // Actions, in the order the customer and the merchant see them.
            if (plan.Label) await steps.RunAsync("label", nameof(IssueReturnLabel));
            if (plan.Platform == Platform.Shopify) await RecordAtShopifyAsync(steps, plan);
            else await steps.RunAsync("woocommerce-note", nameof(NoteWooCommerceReturn));
            if (plan.ExchangeCode) await steps.RunAsync("exchange-code", nameof(IssueExchangeShippingCode));
            if (plan.Refund) await steps.RunAsync("refund", nameof(RefundReturn));
            await steps.RunAsync("email-customer", nameof(EmailReturnCustomer));
            if (plan.EmailWarehouse) await steps.RunAsync("email-warehouse", nameof(EmailReturnWarehouse));
            await steps.RunAsync("close", nameof(CloseReturn));

            journal.End(FlowState.Completed, $"{plan.Outcome} by rule {plan.Rule}: carried out.");
        }
        catch (StepStopped stopped) when (stopped.Result.Status == ReturnStepStatus.Gone)
        {
            journal.End(FlowState.Exited, stopped.Result.Note);
        }
        catch (StepStopped stopped)
        {
            await steps.FlagForOperatorAsync($"{stopped.Step}: {stopped.Result.Note}");
            journal.End(FlowState.Exited, $"Stopped at {stopped.Step}: {stopped.Result.Note}");
        }
        catch (TaskFailedException failed)
        {
            var problem = $"{steps.Current}: still failing after {Retry.Retry!.Policy!.MaxNumberOfAttempts} attempts ({failed.FailureDetails.ErrorMessage})";
            journal.Record(steps.Current, "Failed", failed.FailureDetails.ErrorMessage);
            await steps.FlagForOperatorAsync(problem);
            journal.End(FlowState.Failed, problem);
        }
    }

    /// <summary>Shopify: a self-service return is requested first; then approved (with the label) or declined.</summary>
    private static async Task RecordAtShopifyAsync(Steps steps, ReturnPlan plan)
    {
        switch (plan.Outcome)
        {
            case ReturnOutcome.Approved or ReturnOutcome.KeepIt:
                var returnId = plan.ShopifyReturnId ?? (await steps.RunAsync("shopify-request", nameof(RequestShopifyReturn))).Id;
                var approved = await steps.RunAsync("shopify-approve", nameof(ApproveShopifyReturn), s => s with { ShopifyReturnId = returnId });
                if (plan.Label)
                {
                    await steps.RunAsync("shopify-label", nameof(AttachReturnLabel), s => s with { ShopifyReturnId = returnId, ReverseFulfillmentOrderId = approved.Id });
                }

                break;

            case ReturnOutcome.Declined when plan.ShopifyReturnId is { } declined:
                await steps.RunAsync("shopify-decline", nameof(DeclineShopifyReturn), s => s with { ShopifyReturnId = declined });
                break;

            default:
                steps.Skip("shopify", "A declined self-service request is never created in Shopify.");
                break;
        }
    }

    /// <summary>Runs the activities and writes each step's outcome to the flow's history.</summary>
    private sealed class Steps(TaskOrchestrationContext context, FlowJournal journal, ReturnStepInput target)
    {
        public string Current { get; private set; } = "decision";

        public async Task<ReturnPlan> ReadDecisionAsync() =>
            (await RunAsync("decision", nameof(ReadReturnDecision))).Plan
            ?? throw new InvalidOperationException($"{nameof(ReadReturnDecision)} gave no plan.");

        public async Task<ReturnStepResult> RunAsync(string step, string activity, Func<ReturnStepInput, ReturnStepInput>? with = null)
        {
            Current = step;
            var result = await context.CallActivityAsync<ReturnStepResult>(activity, with?.Invoke(target) ?? target, Retry);
            journal.Record(step, result.Status.ToString(), result.Note);
            return result.Status is ReturnStepStatus.Refused or ReturnStepStatus.Gone ? throw new StepStopped(step, result) : result;
        }

        public void Skip(string step, string why) => journal.Record(step, nameof(ReturnStepStatus.Skipped), why);

        /// <summary>Waits for the operator's decision; null when none came in time (the flow has then ended).</summary>
        public async Task<ReturnPlan?> WaitForReviewAsync()
        {
            while (true)
            {
                Current = "review";
                journal.Waiting("review", new DateTimeOffset(context.CurrentUtcDateTime + ReviewWait, TimeSpan.Zero));
                try
                {
                    var reviewed = await context.WaitForExternalEvent<ReturnReviewed>(StartReturnFlow.ReviewedEvent, ReviewWait);
                    journal.Record("review", "Decided", $"An operator decided {reviewed.Outcome} ({reviewed.Rule}).");
                }
                catch (OperationCanceledException)
                {
                    journal.Record("review", "TimedOut", $"No decision within {ReviewWait.TotalDays:0} days.");
                    journal.End(FlowState.Exited, $"No operator decided within {ReviewWait.TotalDays:0} days; deciding the return later starts its flow again.");
                    return null;
                }

                // The row holds the decision; the event only says it is there.
                var plan = await ReadDecisionAsync();
                if (plan.Outcome != ReturnOutcome.ManualReview) return plan;
            }
        }

        /// <summary>Marks the return's row for the operator's list (a return erased meanwhile has no row to mark).</summary>
        public async Task FlagForOperatorAsync(string problem)
        {
            var result = await context.CallActivityAsync<ReturnStepResult>(nameof(FlagReturnForOperator), target with { Problem = problem }, Retry);
            journal.Record("flag", result.Status.ToString(), result.Note);
        }
    }

    /// <summary>A step came back Refused or Gone: the flow stops there.</summary>
    private sealed class StepStopped(string step, ReturnStepResult result) : Exception(result.Note)
    {
        public string Step { get; } = step;
        public ReturnStepResult Result { get; } = result;
    }
}
