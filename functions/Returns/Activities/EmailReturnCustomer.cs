using Automation.Email;
using Automation.Returns.Labels;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Returns.Activities;

/// <summary>
/// The customer's email about the decision: the reason, the fee, the label attached and linked, the exchange code.
/// Once per RMA and outcome, so a held return's "we are reviewing" and its later decision are two emails.
/// </summary>
public sealed class EmailReturnCustomer(ReturnStepRunner runner, ReturnLabels labels, ExchangeShippingCodes codes, IEmailSender email, EmailRenderer renderer)
{
    [Function(nameof(EmailReturnCustomer))]
    public Task<ReturnStepResult> Run([ActivityTrigger] ReturnStepInput input, CancellationToken cancellationToken) =>
        runner.RunAsync(nameof(EmailReturnCustomer), input, async (step, ct) =>
        {
            var (store, policy, returnCase) = (step.Store, step.Policy, step.Case);
            var warehouse = policy.Warehouses.FirstOrDefault(w => w.Id == returnCase.WarehouseId);

            // The label and the code were made by earlier steps; asking again gives the recorded ones.
            IssuedLabel? label = null;
            byte[]? pdf = null;
            if (returnCase.Decision.Outcome == ReturnOutcome.Approved)
            {
                label = await labels.IssueAsync(store, policy, returnCase, ct);
                pdf = await labels.ReadPdfAsync(store.Id, returnCase.Rma, ct);
            }

            var code = ExchangeShippingCodes.Applies(returnCase.Decision) ? await codes.IssueAsync(store, policy, returnCase, ct) : null;
            await email.SendAsync(await ReturnEmails.ToCustomerAsync(renderer, returnCase, warehouse, label, pdf, code, ct), ct);
            return ReturnStepResult.Done($"Customer emailed about the {returnCase.Decision.Outcome} decision" + (pdf is null ? "." : ", label attached."));
        }, cancellationToken);
}
