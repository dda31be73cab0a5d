using System.Diagnostics;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Queues;

namespace Automation.Tests.Infrastructure;

/// <summary>One real Azurite (in memory, loopback, free ports) for the whole test run.</summary>
public static class Azurite
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static Process? _process;

    public static string ConnectionString { get; private set; } = "";

    public static async Task StartAsync()
    {
        int blob = LocalServices.FreePort(), queue = LocalServices.FreePort(), table = LocalServices.FreePort();
        _process = LocalServices.StartNodeTool("azurite",
            $"--inMemoryPersistence --silent --skipApiVersionCheck --disableProductStyleUrl --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 --blobPort {blob} --queuePort {queue} --tablePort {table}",
            "azurite");
        foreach (var port in new[] { blob, queue, table })
        {
            await LocalServices.WaitForPortAsync(port, _process, "Azurite", TimeSpan.FromSeconds(30));
        }

        ConnectionString = ConnectionStringFor(blob, queue, table);
    }

    public static string ConnectionStringFor(int blob, int queue, int table) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";

    public static void Stop() => LocalServices.Stop(_process);

    /// <summary>Empties storage between tests: tables and containers are deleted, queues are cleared.</summary>
    public static async Task ResetAsync()
    {
        var tables = new TableServiceClient(ConnectionString);
        await foreach (var table in tables.QueryAsync())
        {
            await tables.DeleteTableAsync(table.Name);
        }

        var blobs = new BlobServiceClient(ConnectionString);
        await foreach (var container in blobs.GetBlobContainersAsync())
        {
            // A stopped app's Durable app lease may still be held on its container: break it, the app is gone.
            var client = blobs.GetBlobContainerClient(container.Name);
            if (container.Properties.LeaseState == Azure.Storage.Blobs.Models.LeaseState.Leased)
            {
                await client.GetBlobLeaseClient().BreakAsync(TimeSpan.Zero);
            }

            await client.DeleteAsync();
        }

        var queues = new QueueServiceClient(ConnectionString);
        await foreach (var queue in queues.GetQueuesAsync())
        {
            await queues.GetQueueClient(queue.Name).ClearMessagesAsync();
        }
    }

    public static QueueClient Queue(string name) =>
        new(ConnectionString, name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    public static TableClient Table(string name) => new(ConnectionString, name);

    public static BlobContainerClient Container(string name) => new(ConnectionString, name);
}
