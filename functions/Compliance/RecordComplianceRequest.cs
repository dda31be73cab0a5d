using Automation.Events;
using Automation.Runtime;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Compliance;

/// <summary>
/// Shopify's mandatory compliance topics. Every request is recorded (what, when, for which customer id) so an
/// operator can show it was handled. Customer data held by an automation is erased by that automation, which
/// receives <see cref="CustomerRedactRequested"/> on its own queue; raw deliveries expire with the retention.
/// A shop redaction erases everything this app keeps for the store.
/// </summary>
public sealed class RecordComplianceRequest(StorageClients storage, TimeProvider time, ILogger<RecordComplianceRequest> logger)
{
    /// <summary>Tables whose PartitionKey is the store id.</summary>
    private static readonly string[] StoreTables = [TableNames.WebhookDeliveries, TableNames.ResourceVersions, TableNames.InventoryItems, TableNames.Effects];

    [Function(nameof(RecordComplianceRequest))]
    public Task Run([QueueTrigger(QueueNames.ComplianceEvents)] QueueMessage message, CancellationToken cancellationToken) =>
        RecordAsync(message.Read<StoreEvent>(), cancellationToken);

    private async Task RecordAsync(StoreEvent message, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableNames.ComplianceRequests);
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
                row["CustomerId"] = redact.CustomerId;
                row["Orders"] = string.Join(',', redact.Orders);
                row["Status"] = "Recorded: sent to each automation to erase; raw deliveries expire with Webhooks:RetentionDays.";
                break;
            case ShopRedactRequested:
                var erased = await EraseStoreAsync(message.StoreId, cancellationToken);
                row["Status"] = $"Erased {erased} rows held for the store.";
                break;
            default:
                throw new PermanentFailureException($"{message.GetType().Name} is not a compliance event.");
        }

        await table.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken);
        logger.LogInformation("Compliance request {Type} for store {StoreId} recorded", message.GetType().Name, message.StoreId);
    }

    private async Task<int> EraseStoreAsync(string storeId, CancellationToken cancellationToken)
    {
        var erased = 0;
        foreach (var name in StoreTables)
        {
            var table = await storage.TableAsync(name);
            await foreach (var page in table.QueryAsync<TableEntity>(e => e.PartitionKey == storeId, maxPerPage: 100, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).AsPages())
            {
                if (page.Values.Count == 0) continue;
                await table.SubmitTransactionAsync(page.Values.Select(e => new TableTransactionAction(TableTransactionActionType.Delete, e, ETag.All)), cancellationToken);
                erased += page.Values.Count;
            }
        }

        return erased;
    }
}

public static class ComplianceRegistration
{
    /// <summary>Nothing to register: <see cref="RecordComplianceRequest"/> is found by its <c>[Function]</c> attribute.</summary>
    public static IServiceCollection AddCompliance(this IServiceCollection services, IConfiguration configuration) => services;
}
