using Automation.Email;
using Automation.Returns.Labels;
using Automation.Runtime;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Returns.Activities;

/// <summary>The receiving warehouse's notice: RMA, tracking number, items and reasons (no customer contact details).</summary>
public sealed class EmailReturnWarehouse(ReturnStepRunner runner, ReturnLabels labels, IEmailSender email, EmailRenderer renderer)
{
    [Function(nameof(EmailReturnWarehouse))]
    public Task<ReturnStepResult> Run([ActivityTrigger] ReturnStepInput input, CancellationToken cancellationToken) =>
        runner.RunAsync(nameof(EmailReturnWarehouse), input, async (step, ct) =>
        {
            var warehouse = step.Policy.Warehouses.FirstOrDefault(w => w.Id == step.Case.WarehouseId)
                ?? throw new PermanentFailureException($"Warehouse '{step.Case.WarehouseId}' of return {input.Rma} is no longer configured.");
            if (string.IsNullOrWhiteSpace(warehouse.Email)) return ReturnStepResult.Skipped($"Warehouse {warehouse.Id} has no email address.");

            var label = await labels.IssueAsync(step.Store, step.Policy, step.Case, ct);
            await email.SendAsync(await ReturnEmails.ToWarehouseAsync(renderer, step.Case, warehouse, label, ct), ct);
            return ReturnStepResult.Done($"Warehouse {warehouse.Id} told tracking {label.TrackingNumber} is on its way.");
        }, cancellationToken);
}
