using Automation.Events;
using Automation.Runtime;
using Automation.Storage;
using Automation.Webhooks;
using Azure.Data.Tables;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Automation.Compliance;

/// <summary>
/// Shopify's mandatory compliance topics. Every request is recorded (what, when, for which customer id) so an
/// operator can show it was handled. A customer redaction erases the customer's raw webhook deliveries here (found by
/// key: the deliveries are indexed by the customers and orders their events named); everything else the automations
/// hold about the customer is erased by each automation, which receives <see cref="CustomerRedactRequested"/> on its
/// own queue (<see cref="EventRoutes"/>). A shop redaction erases everything the app keeps for the store
/// (<see cref="StoreErasure"/>), Durable history included.
/// </summary>
public sealed class RecordComplianceRequest(ComplianceRecords records, DeliveryLog deliveries, StoreErasure stores, TimeProvider time, ILogger<RecordComplianceRequest> logger)
{
    [Function(nameof(RecordComplianceRequest))]
    public Task Run([QueueTrigger(QueueNames.ComplianceEvents)] QueueMessage message, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        RecordAsync(message.Read<StoreEvent>(), client, cancellationToken);

    private async Task RecordAsync(StoreEvent message, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var row = new TableEntity(message.StoreId, StorageKeys.Escape(message.Id))
        {
            ["Type"] = message.GetType().Name,
            ["OccurredAt"] = message.OccurredAt,
            ["RecordedAt"] = time.GetUtcNow(),
        };
        switch (message)
        {
            case CustomerDataRequested request:
                row["CustomerId"] = request.CustomerId;
                row["Orders"] = string.Join(',', request.Orders);
                row["Status"] = "Recorded: the data this app holds is its automations' flow, waitlist and return rows for this customer.";
                break;
            case CustomerRedactRequested redact:
                var erased = await deliveries.EraseCustomerAsync(redact.StoreId, redact.Email, redact.CustomerId, redact.Orders, cancellationToken);
                row["CustomerId"] = redact.CustomerId;
                row["Orders"] = string.Join(',', redact.Orders);
                row["Status"] = $"Erased {erased} raw deliveries naming the customer or their orders; sent to each automation to erase what it holds.";
                break;
            case ShopRedactRequested:
                var gone = await stores.EraseAsync(client, message.StoreId, cancellationToken);
                row["Status"] = $"Erased {gone} rows, blobs and flows held for the store.";
                break;
            default:
                throw new PermanentFailureException($"{message.GetType().Name} is not a compliance event.");
        }

        await records.RecordAsync(row, cancellationToken);
        logger.LogInformation("Compliance request {Type} for store {StoreId} recorded", message.GetType().Name, message.StoreId);
    }
}

public static class ComplianceRegistration
{
    public static IServiceCollection AddCompliance(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ComplianceRecords>();
        services.AddSingleton<StoreErasure>();
        return services;
    }
}
