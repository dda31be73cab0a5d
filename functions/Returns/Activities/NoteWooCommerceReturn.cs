using Automation.Returns.Labels;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Returns.Activities;

/// <summary>
/// WooCommerce has no returns object: the decision (rule, fee, tracking, items) becomes an order note, private unless
/// the store asks for a customer note. After a crash mid-call it first looks for the note that call made.
/// </summary>
public sealed class NoteWooCommerceReturn(ReturnStepRunner runner, ReturnLabels labels, WooCommerceReturns woo)
{
    [Function(nameof(NoteWooCommerceReturn))]
    public Task<ReturnStepResult> Run([ActivityTrigger] ReturnStepInput input, CancellationToken cancellationToken) =>
        runner.RunAsync(nameof(NoteWooCommerceReturn), input, async (step, ct) =>
        {
            var label = step.Case.Decision.Outcome == ReturnOutcome.Approved ? await labels.IssueAsync(step.Store, step.Policy, step.Case, ct) : null;
            await woo.AddOrderNoteAsync(step.Store, step.Policy, step.Case, label, ct);
            return ReturnStepResult.Done(step.Policy.WooCommerceCustomerNote ? "Customer note added to the order." : "Private note added to the order.");
        }, cancellationToken);
}
