using System.IO.Compression;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Automation.Tests.Infrastructure;

/// <summary>
/// Reads all of the run's storage — every row of every table (keys and values; Durable's History and Instances
/// included), every blob (gzip-compressed ones, as Durable keeps large messages, unpacked), every visible message of
/// every queue (base64 bodies decoded) — and says where it finds a piece of text.
/// </summary>
public static class StorageScan
{
    /// <summary>Scans until none of the needles is found, or the timeout passes; returns what was found last (empty: nowhere).</summary>
    public static async Task<List<string>> UntilNowhereAsync(TimeSpan timeout, params string[] needles)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var found = await FindAsync(needles);
            if (found.Count == 0 || clock.Elapsed > timeout) return found;
            await Task.Delay(250);
        }
    }

    /// <summary>Where each needle occurs (case-insensitive, also as JSON escapes it), as "table X row P/R: needle".</summary>
    public static async Task<List<string>> FindAsync(params string[] needles)
    {
        var found = new List<string>();
        void Search(string where, string text)
        {
            foreach (var needle in needles)
            {
                var escaped = System.Text.Json.JsonSerializer.Serialize(needle)[1..^1];
                if (text.Contains(needle, StringComparison.OrdinalIgnoreCase) || text.Contains(escaped, StringComparison.OrdinalIgnoreCase)) found.Add($"{where}: {needle}");
            }
        }

        var tables = new TableServiceClient(Azurite.ConnectionString);
        await foreach (var table in tables.QueryAsync())
        {
            await foreach (var row in tables.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                Search($"table {table.Name} row {row.PartitionKey}/{row.RowKey}", string.Join('\n', row.Select(p => $"{p.Key}={Text(p.Value)}")));
            }
        }

        var blobs = new BlobServiceClient(Azurite.ConnectionString);
        await foreach (var container in blobs.GetBlobContainersAsync())
        {
            var client = blobs.GetBlobContainerClient(container.Name);
            await foreach (var blob in client.GetBlobsAsync())
            {
                Search($"blob {container.Name}/{blob.Name}", blob.Name);
                var content = (await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray();
                Search($"blob {container.Name}/{blob.Name}", Text(content));
            }
        }

        var queues = new QueueServiceClient(Azurite.ConnectionString);
        await foreach (var queue in queues.GetQueuesAsync())
        {
            foreach (var message in (await queues.GetQueueClient(queue.Name).PeekMessagesAsync(32)).Value)
            {
                var body = message.Body.ToString();
                Search($"queue {queue.Name} message {message.MessageId}", body + "\n" + Base64Text(body));
            }
        }

        return found;
    }

    private static string Text(object? value) => value switch
    {
        null => "",
        byte[] bytes => Text(bytes),
        BinaryData data => Text(data.ToArray()),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    private static string Text(byte[] bytes)
    {
        if (bytes is [0x1f, 0x8b, ..])
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var unpacked = new MemoryStream();
            gzip.CopyTo(unpacked);
            bytes = unpacked.ToArray();
        }

        return Encoding.UTF8.GetString(bytes);
    }

    private static string Base64Text(string body)
    {
        try
        {
            return Text(Convert.FromBase64String(body));
        }
        catch (FormatException)
        {
            return "";
        }
    }
}
