using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Automation.Bench;

/// <summary>
/// Counts every storage request (each one a billed transaction, retries included) that passes through the clients it
/// is added to, by what it touched and how: "Durable control queues: get messages", "app table Effects: insert"…
/// Add the same instance to the app's clients (<c>StorageClientsOptions.Policies</c>) and to the local host's
/// (<c>HostStorageOptions.Policies</c>: queue listeners, timer locks, every Durable provider client) to count them all.
/// </summary>
public sealed class StorageTransactionCounter : HttpPipelineSynchronousPolicy
{
    private readonly ConcurrentDictionary<string, long> _byKind = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _services;
    private readonly string _hub;
    private long _total;

    /// <param name="connectionString">The storage account's connection string (its endpoints tell blob, queue and table requests apart).</param>
    /// <param name="hubName">The Durable task hub, whose queues, tables and containers are named after it.</param>
    public StorageTransactionCounter(string connectionString, string hubName)
    {
        _hub = hubName.ToLowerInvariant();
        _services = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split('=', 2))
            .Where(kv => kv.Length == 2 && kv[0].EndsWith("Endpoint", StringComparison.Ordinal))
            .ToDictionary(kv => new Uri(kv[1]).Authority, kv => kv[0][..^"Endpoint".Length].ToLowerInvariant(), StringComparer.OrdinalIgnoreCase);
    }

    public long Total => Interlocked.Read(ref _total);

    public Snapshot Take() => new(Total, new Dictionary<string, long>(_byKind, StringComparer.Ordinal));

    public override void OnSendingRequest(HttpMessage message)
    {
        Interlocked.Increment(ref _total);
        _byKind.AddOrUpdate(Classify(message.Request), 1, (_, n) => n + 1);
    }

    private string Classify(Request request)
    {
        var uri = request.Uri.ToUri();
        var service = _services.GetValueOrDefault(uri.Authority, "?");
        // Path-style (Azurite): /account/resource/…
        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(Uri.UnescapeDataString).ToArray();
        var query = uri.Query;
        var method = request.Method.Method;
        return service switch
        {
            "queue" => QueueKind(segments, method, query),
            "table" => TableKind(segments, method, request),
            "blob" => BlobKind(segments, method, query, request),
            _ => $"{service}: {method}",
        };
    }

    private string QueueKind(string[] segments, string method, string query)
    {
        if (segments.Length == 0) return "queue service: " + (query.Contains("comp=list", StringComparison.Ordinal) ? "list queues" : method);
        var queue = segments[0];
        var owner = queue.StartsWith(_hub + "-control-", StringComparison.Ordinal) ? "Durable control queues"
            : queue == _hub + "-workitems" ? "Durable work-item queue"
            : $"app queue {queue}";
        var operation = (segments.Length, method) switch
        {
            (1, "PUT") => "create",
            (1, "DELETE") => "delete queue",
            (1, _) => "get properties",
            (2, "POST") => "put message",
            (2, "GET") when query.Contains("peekonly=true", StringComparison.OrdinalIgnoreCase) => "peek",
            (2, "GET") => "get messages",
            (2, "DELETE") => "clear",
            (_, "DELETE") => "delete message",
            (_, "PUT") => "update message",
            _ => method,
        };
        return $"{owner}: {operation}";
    }

    private string TableKind(string[] segments, string method, Request request)
    {
        if (segments.Length == 0) return "table service: " + method;
        var resource = segments[0];
        if (resource == "$batch") return $"{TableOwner(BatchTable(request))}: entity group transaction";
        if (resource.StartsWith("Tables", StringComparison.Ordinal)) return "table service: " + (method == "POST" ? "create table" : method == "DELETE" ? "delete table" : "query tables");
        var paren = resource.IndexOf('(', StringComparison.Ordinal);
        var table = paren < 0 ? resource : resource[..paren];
        var keys = paren < 0 ? "" : resource[(paren + 1)..].TrimEnd(')');
        var owner = TableOwner(table);
        var conditional = request.Headers.TryGetValue("If-Match", out _);
        var operation = (keys.Length > 0, method) switch
        {
            (true, "GET") => "point read",
            (false, "GET") => "query",
            (false, "POST") => "insert",
            (_, "PUT") => conditional ? "replace (if-match)" : "upsert (replace)",
            (_, "PATCH" or "MERGE") => conditional ? "merge (if-match)" : "upsert (merge)",
            (_, "DELETE") => "delete",
            _ => method,
        };
        return $"{owner}: {operation}";
    }

    private string TableOwner(string table) =>
        table.StartsWith(_hub, StringComparison.OrdinalIgnoreCase) && table.Length > _hub.Length ? $"Durable {table[_hub.Length..]}" : $"app table {table}";

    /// <summary>The table an entity group transaction writes to: the first operation's URL in its multipart body.</summary>
    private static string BatchTable(Request request)
    {
        if (request.Content is null) return "?";
        using var buffer = new MemoryStream();
        request.Content.WriteTo(buffer, CancellationToken.None);
        var body = System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)Math.Min(buffer.Length, 8192));
        foreach (var line in body.Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts.Length < 2 || !Uri.TryCreate(parts[1], UriKind.Absolute, out var uri) || parts[0] is not ("POST" or "PUT" or "PATCH" or "MERGE" or "DELETE")) continue;
            var resource = Uri.UnescapeDataString(uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "?");
            var paren = resource.IndexOf('(', StringComparison.Ordinal);
            return paren < 0 ? resource : resource[..paren];
        }

        return "?";
    }

    private string BlobKind(string[] segments, string method, string query, Request request)
    {
        if (segments.Length == 0) return "blob service: " + (query.Contains("comp=list", StringComparison.Ordinal) ? "list containers" : method);
        var container = segments[0];
        var owner = container.StartsWith(_hub + "-", StringComparison.Ordinal) ? $"Durable blobs {container[_hub.Length..]}"
            : container == "azure-webjobs-hosts" ? "host locks and timer status"
            : $"app container {container}";
        var lease = request.Headers.TryGetValue("x-ms-lease-action", out var action) ? action : null;
        var isContainer = segments.Length == 1;
        var operation = (isContainer, method) switch
        {
            _ when query.Contains("comp=lease", StringComparison.Ordinal) => $"{(isContainer ? "container" : "blob")} lease {lease}",
            (true, "PUT") => "create container",
            (true, "DELETE") => "delete container",
            (true, "GET") when query.Contains("comp=list", StringComparison.Ordinal) => "list blobs",
            (true, _) => "container properties",
            (false, "PUT") => "upload",
            (false, "GET") => "download",
            (false, "HEAD") => "get properties",
            (false, "DELETE") => "delete blob",
            _ => method,
        };
        return $"{owner}: {operation}";
    }

    /// <summary>The counts at one moment; subtract two to get what happened in between.</summary>
    public sealed record Snapshot(long Total, IReadOnlyDictionary<string, long> ByKind)
    {
        public static Snapshot operator -(Snapshot after, Snapshot before) => new(
            after.Total - before.Total,
            after.ByKind.ToDictionary(kv => kv.Key, kv => kv.Value - before.ByKind.GetValueOrDefault(kv.Key), StringComparer.Ordinal)
                .Where(kv => kv.Value != 0).ToDictionary(StringComparer.Ordinal));

        public static Snapshot operator +(Snapshot a, Snapshot b) => new(
            a.Total + b.Total,
            a.ByKind.Keys.Union(b.ByKind.Keys).ToDictionary(k => k, k => a.ByKind.GetValueOrDefault(k) + b.ByKind.GetValueOrDefault(k), StringComparer.Ordinal));

        /// <summary>The first word group before ':' (what was touched), summed.</summary>
        public IReadOnlyDictionary<string, long> ByOwner() => ByKind
            .GroupBy(kv => kv.Key[..Math.Max(0, kv.Key.IndexOf(':', StringComparison.Ordinal))], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value), StringComparer.Ordinal);
    }
}
