using System.Text.RegularExpressions;
using Automation.AbandonedCart;
using Automation.Inventory;
using Automation.LowStock;
using Automation.OutOfStock;
using Automation.Restock;
using Automation.Returns;
using Automation.Returns.Labels;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;
using Microsoft.DurableTask.Client;

namespace Automation.Compliance;

/// <summary>
/// <c>shop/redact</c>: everything the app keeps for a store, read by key only — each table's store partition (or, for
/// the tables partitioned per variant, the key range of the store's partitions), the store's folder in each blob
/// container, and the store's orchestrations (their history and inputs), found by instance id prefix.
/// </summary>
/// <remarks>A table, container or flow added to the app belongs in these lists; the shop-redaction test scans all of storage and fails on anything left.</remarks>
public sealed partial class StoreErasure(StorageClients storage, ILogger<StoreErasure> logger)
{
    /// <summary>Tables whose PartitionKey is the store id.</summary>
    private static readonly string[] StoreTables =
    [
        TableNames.WebhookDeliveries, TableNames.ResourceVersions, TableNames.InventoryItems, TableNames.Effects, TableNames.ComplianceRequests,
        RecoveryCustomers.TableName, RecoveryOutcomes.TableName, Waitlist.ByEmailTable, ReturnCases.Table,
        InventoryView.Table, SoldOutEpisodes.Table, PurchaseOrders.Table,
    ];

    /// <summary>Tables partitioned per store and variant (<c>{store}|{variant}</c>).</summary>
    private static readonly string[] VariantTables = [Waitlist.Table, SalesHistory.Table];

    /// <summary>Containers whose blobs are named <c>{store}/…</c>.</summary>
    private static readonly string[] Containers = [BlobContainers.WebhookBodies, LabelStorage.Container];

    /// <summary>Erases the store's rows and blobs and its orchestrations; returns how many rows, blobs and instances went.</summary>
    public async Task<int> EraseAsync(DurableTaskClient client, string storeId, CancellationToken cancellationToken)
    {
        // Flows first: a running one could otherwise write a row after its table was emptied.
        var erased = await EraseFlowsAsync(client, storeId, cancellationToken);
        foreach (var name in StoreTables)
        {
            erased += await DeleteAsync(await storage.TableAsync(name), TableClient.CreateQueryFilter($"PartitionKey eq {storeId}"), cancellationToken);
        }

        foreach (var name in VariantTables)
        {
            // '|' ends the store id ([a-z0-9-]), so this range holds this store's variant partitions and no other store's.
            erased += await DeleteAsync(await storage.TableAsync(name), TableClient.CreateQueryFilter($"PartitionKey ge {storeId + "|"} and PartitionKey lt {storeId + "}"}"), cancellationToken);
        }

        foreach (var name in Containers)
        {
            var container = await storage.ContainerAsync(name);
            await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, storeId + "/", cancellationToken))
            {
                await container.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
                erased++;
            }
        }

        return erased;
    }

    private static async Task<int> DeleteAsync(TableClient table, string filter, CancellationToken cancellationToken)
    {
        var deleted = 0;
        await foreach (var page in table.QueryAsync<TableEntity>(filter, maxPerPage: 100, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).AsPages())
        {
            foreach (var partition in page.Values.GroupBy(e => e.PartitionKey))
            {
                await table.SubmitTransactionAsync(partition.Select(e => new TableTransactionAction(TableTransactionActionType.Delete, e, ETag.All)), cancellationToken);
                deleted += partition.Count();
            }
        }

        return deleted;
    }

    /// <summary>Terminates the store's running orchestrations, then purges every one of them (history, inputs, outputs).</summary>
    private async Task<int> EraseFlowsAsync(DurableTaskClient client, string storeId, CancellationToken cancellationToken)
    {
        var instances = new List<OrchestrationMetadata>();
        foreach (var (prefix, shape) in FlowIds(storeId))
        {
            await foreach (var instance in client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = prefix }).WithCancellation(cancellationToken))
            {
                // The prefix of store "shop" also starts store "shop-2"'s ids: the rest must be this flow's own id shape.
                if (shape.IsMatch(instance.InstanceId[prefix.Length..])) instances.Add(instance);
            }
        }

        foreach (var instance in instances.Where(i => !i.IsCompleted))
        {
            await client.TerminateInstanceAsync(instance.InstanceId, "the store's data was erased (shop/redact)", cancellationToken);
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(TimeSpan.FromSeconds(60));
        foreach (var instance in instances)
        {
            // Termination is asynchronous; if it has not happened within the wait, the message is retried.
            if (!instance.IsCompleted) await client.WaitForInstanceCompletionAsync(instance.InstanceId, getInputsAndOutputs: false, wait.Token);
            await client.PurgeInstanceAsync(instance.InstanceId, cancellation: cancellationToken);
        }

        logger.LogInformation("Store {StoreId}: {Count} orchestration(s) terminated where running and purged", storeId, instances.Count);
        return instances.Count;
    }

    /// <summary>The instance id prefixes of a store's flows, and the shape of the rest of each id.</summary>
    private static IEnumerable<(string Prefix, Regex Shape)> FlowIds(string storeId) =>
    [
        (RecoveryIds.InstancePrefix(storeId), RecoveryRest()),
        (StartReturnFlow.InstanceId(storeId, ""), ReturnRest()),
        ($"waitlist-{storeId}-", WaitlistRest()),
    ];

    /// <summary><c>ac-{store}-{customer key}</c>: 32 hex characters.</summary>
    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex RecoveryRest();

    /// <summary><c>return-{store}-{rma}</c>.</summary>
    [GeneratedRegex("^RMA-[0-9A-Z]{8}$")]
    private static partial Regex ReturnRest();

    /// <summary><c>waitlist-{store}-{variant}-{episode}</c> (<see cref="WaitlistRun.InstanceIdFor"/>).</summary>
    [GeneratedRegex(@"^\d+-\d+$")]
    private static partial Regex WaitlistRest();
}
