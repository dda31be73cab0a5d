using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Automation.Tests.Infrastructure;

/// <summary>One storage request as the app sent it: method, path (table, entity or batch) and query, unescaped.</summary>
public sealed record StorageRequest(string Method, string Path, string Query)
{
    /// <summary>A read of a table's rows: a query (<c>/Table()</c>) or a point read (<c>/Table(PartitionKey=…,RowKey=…)</c>), not the table list.</summary>
    public bool IsTableRead(string? table = null) =>
        Method == "GET" && Path.EndsWith(')') && !Path.Contains("/Tables", StringComparison.Ordinal)
        && (table is null || Path.Contains($"/{table}(", StringComparison.Ordinal));

    /// <summary>A query of a table (<c>/Table()</c>), not a point read.</summary>
    public bool IsTableQuery(string table) => Method == "GET" && Path.EndsWith($"/{table}()", StringComparison.Ordinal);

    /// <summary>An entity-group transaction.</summary>
    public bool IsBatch => Path.EndsWith("/$batch", StringComparison.Ordinal);
}

/// <summary>
/// Records every request of the app's storage clients (add it to <c>StorageClientsOptions.Policies</c>), for tests
/// that assert what the app reads and writes — how many transactions, and by which keys.
/// </summary>
public sealed class StorageRequests : HttpPipelineSynchronousPolicy
{
    private readonly ConcurrentQueue<StorageRequest> _requests = new();

    public IReadOnlyList<StorageRequest> All => [.. _requests];

    public int Count(Func<StorageRequest, bool> which) => _requests.Count(which);

    public void Clear() => _requests.Clear();

    public override void OnSendingRequest(HttpMessage message)
    {
        var uri = message.Request.Uri;
        _requests.Enqueue(new StorageRequest(message.Request.Method.ToString(), Uri.UnescapeDataString(uri.Path), Uri.UnescapeDataString(uri.Query)));
    }
}
