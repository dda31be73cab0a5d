using Automation.Runtime;
using Automation.Stores;

using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Returns;

/// <summary>Queue <c>return-actions</c>: carries out a decided self-service return.</summary>
public sealed class CarryOutReturnDecision(StoreRegistry stores, ReturnCases cases, ReturnHandler handler, ILogger<CarryOutReturnDecision> logger)
{
    [Function(nameof(CarryOutReturnDecision))]
    public Task Run([QueueTrigger(ReturnQueues.Actions)] QueueMessage message, CancellationToken cancellationToken) =>
        HandleAsync(message.Read<ReturnDecided>(), cancellationToken);

    private async Task HandleAsync(ReturnDecided message, CancellationToken cancellationToken)
    {
        var store = stores.Find(message.StoreId) ?? throw new PermanentFailureException($"Store {message.StoreId} is not configured.");
        var returnCase = await cases.GetAsync(message.StoreId, message.Rma, cancellationToken);
        if (returnCase is null)
        {
            // Erased on the customer's request before its effects ran.
            logger.LogInformation("Return {Rma} for store {StoreId} no longer exists; nothing to do", message.Rma, message.StoreId);
            return;
        }

        await handler.CarryOutAsync(store, returnCase, cancellationToken);
    }
}
