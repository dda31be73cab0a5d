using Automation.Events;
using Automation.Runtime;
using Automation.Returns.Labels;
using Automation.Stores;

using Automation.Storage;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Automation.Returns;

/// <summary>
/// Queue <c>return-events</c>. Trigger: Shopify's <c>returns/request</c> (a customer asked in Shopify's own return
/// flow). The order is read from Shopify, the rules decide, and the decision's <c>CarryOutReturnV1</c> orchestration
/// starts. Also: refunds are noted on their returns, and a customer's redaction erases their returns and labels.
/// </summary>
public sealed class HandleReturnEvent(
    StoreRegistry stores,
    ReturnPolicies policies,
    ReturnsPlatforms platforms,
    ReturnHandler handler,
    ReturnCases cases,
    LabelStorage labels,
    ILogger<HandleReturnEvent> logger)
{
    [Function(nameof(HandleReturnEvent))]
    public Task Run([QueueTrigger(QueueNames.ReturnEvents)] QueueMessage message, [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken) =>
        HandleAsync(message.Read<StoreEvent>(), durable, cancellationToken);

    private Task HandleAsync(StoreEvent message, DurableTaskClient durable, CancellationToken cancellationToken) => message switch
    {
        ReturnRequested requested => OnReturnRequestedAsync(requested, durable, cancellationToken),
        RefundCreated refund => OnRefundCreatedAsync(refund, cancellationToken),
        CustomerRedactRequested redact => OnCustomerRedactAsync(redact, cancellationToken),
        _ => Ignore(message),
    };

    private async Task OnReturnRequestedAsync(ReturnRequested requested, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        if (stores.Find(requested.StoreId) is not { AutomationsEnabled: true } store || policies.For(store.Id) is null)
        {
            logger.LogInformation("Return {ReturnId} for store {StoreId} left to the merchant: returns automation is off there", requested.ReturnId, requested.StoreId);
            return;
        }

        var items = requested.Lines.Select(l => new ReturnItem(l.LineItemId, l.Quantity, l.Reason, l.Note)).ToList();

        // A self-service return we created in Shopify (returnRequest) comes back as this webhook: it is already handled.
        var selfService = ReturnCases.RmaFor(store.Id, ReturnCases.RequestKeyFor(requested.OrderId, items));
        if (await cases.GetAsync(store.Id, selfService, cancellationToken) is not null)
        {
            await cases.LinkPlatformReturnAsync(store.Id, selfService, requested.ReturnId, cancellationToken);
            logger.LogInformation("Return {ReturnId} for store {StoreId} is self-service return {Rma}; already handled", requested.ReturnId, store.Id, selfService);
            return;
        }

        var order = await platforms.For(store).GetOrderAsync(store, requested.OrderId, cancellationToken)
            ?? throw new PermanentFailureException($"Order {requested.OrderId} of return {requested.ReturnId} was not found at Shopify.");
        var request = new ReturnRequest(store.Id, ReturnWish.Refund, items, requested.OccurredAt) { PlatformReturnId = requested.ReturnId };
        if (string.IsNullOrWhiteSpace(order.Email))
            throw new PermanentFailureException($"Order {order.OrderId} has no email to send the return decision to.");

        var (returnCase, _) = await handler.DecideAsync(store, order, request, order.Email, cancellationToken);

        // Also when the case was recorded by an earlier attempt of this message that died before starting the flow.
        if (await StartReturnFlow.ForDecidedAsync(durable, store.Id, returnCase.Rma, cancellationToken))
            logger.LogInformation("Return {ReturnId} for store {StoreId} is {Rma}: {Outcome}; flow started", requested.ReturnId, store.Id, returnCase.Rma, returnCase.Decision.Outcome);
    }

    private async Task OnRefundCreatedAsync(RefundCreated refund, CancellationToken cancellationToken)
    {
        foreach (var (rma, _) in await cases.FindAsync(refund.StoreId, null, [refund.OrderId], cancellationToken))
        {
            await cases.MarkRefundedAsync(refund.StoreId, rma, refund.RefundId, refund.OccurredAt, cancellationToken);
        }
    }

    private async Task OnCustomerRedactAsync(CustomerRedactRequested redact, CancellationToken cancellationToken)
    {
        var found = await cases.FindAsync(redact.StoreId, redact.Email, redact.Orders, cancellationToken);
        foreach (var (rma, _) in found)
        {
            await labels.DeleteAsync(redact.StoreId, rma, cancellationToken);
            await cases.DeleteAsync(redact.StoreId, rma, cancellationToken);
        }

        logger.LogInformation("Erased {Count} returns for a customer of store {StoreId}", found.Count, redact.StoreId);
    }

    private Task Ignore(StoreEvent message)
    {
        logger.LogDebug("{Type} is not for returns", message.GetType().Name);
        return Task.CompletedTask;
    }
}
