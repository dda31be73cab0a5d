using System.Collections.Concurrent;
using System.Globalization;
using Automation.Storage;
using Azure;
using Azure.Data.Tables;

namespace Automation.PublicEndpoints;

/// <summary>One limit a public request is counted against: a scope (<c>returns-client</c>, <c>returns-order</c> …), who or what, and how many per hour.</summary>
public sealed record Limit(string Scope, string Subject, int PerHour)
{
    public string RowKey => $"{Scope}|{StorageKeys.Escape(Subject)}";
}

/// <summary>What the limiter decided, and each limit's row as it was before this request counted (null: none yet this window).</summary>
public sealed record Admission(bool Allowed, TimeSpan RetryAfter, IReadOnlyDictionary<string, TableEntity?> Before)
{
    /// <summary>The window's partition the request was counted in.</summary>
    public string Partition { get; init; } = "";

    public TableEntity? RowOf(Limit limit) => Before.GetValueOrDefault(limit.RowKey);
}

/// <summary>
/// Fixed one-hour windows counted in the <c>PublicLimits</c> table, so every instance counts the same: partition
/// <c>{window start ticks}|{store}</c>, one row per limit (<c>Count</c>). All the limits of a request are counted in
/// one entity-group transaction, conditional on each row's ETag, so concurrent requests on any number of instances
/// never count past a limit; on one instance, requests for the same rows take turns rather than collide. Each instance remembers the rows it last wrote (with their ETags): a caller it has seen
/// costs that one transaction; a new one costs the same when its rows are new (an insert), and a read of each row
/// more when another instance moved them meanwhile (the write then fails on the ETag and is retried with what was
/// read). A limit once reached is remembered for the rest of the window, so a flood that is refused costs no
/// storage at all. A row can carry more than its count (<see cref="NoteAsync"/>): the returns lookup keeps the
/// order's lookup there for the window.
/// </summary>
public sealed class PublicLimiter(StorageClients storage, TimeProvider time, ILogger<PublicLimiter> logger)
{
    public const string Table = "PublicLimits";
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private const int MaxAttempts = 16;
    private const int MaxRemembered = 100_000;

    private readonly ConcurrentDictionary<string, TableEntity> _known = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _full = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, 256).Select(_ => new SemaphoreSlim(1, 1))];
    private long _window;

    public static string Partition(DateTimeOffset windowStart, string storeId) => $"{windowStart.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}|{storeId}";

    public static DateTimeOffset WindowStart(DateTimeOffset now) => new(now.UtcTicks - (now.UtcTicks % Window.Ticks), TimeSpan.Zero);

    /// <summary>Counts one request against every limit, or none of them if any is used up.</summary>
    public async Task<Admission> AcquireAsync(string storeId, IReadOnlyList<Limit> limits, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var start = WindowStart(now);
        var retryAfter = start + Window - now;
        Forget(start);
        var partition = Partition(start, storeId);
        if (limits.Any(l => _full.ContainsKey(Key(partition, l.RowKey)))) return new(false, retryAfter, new Dictionary<string, TableEntity?>()) { Partition = partition };

        // Requests for the same rows on this instance take turns (one transaction each) instead of colliding on the
        // ETag; only other instances can then make a write fail and be retried. Locks are taken in one order.
        var stripes = limits.Select(l => (int)((uint)StringComparer.Ordinal.GetHashCode(Key(partition, l.RowKey)) % (uint)_stripes.Length)).Distinct().Order().ToArray();
        var held = 0;
        try
        {
            for (; held < stripes.Length; held++) await _stripes[stripes[held]].WaitAsync(cancellationToken);
            return await CountAsync(storeId, partition, limits, retryAfter, cancellationToken);
        }
        finally
        {
            for (var i = held - 1; i >= 0; i--) _stripes[stripes[i]].Release();
        }
    }

    private async Task<Admission> CountAsync(string storeId, string partition, IReadOnlyList<Limit> limits, TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Table);
        // null: known to be absent or not known at all (both are tried as an insert first).
        var state = limits.ToDictionary(l => l.RowKey, l => _known.GetValueOrDefault(Key(partition, l.RowKey)), StringComparer.Ordinal);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var actions = new List<TableTransactionAction>(limits.Count);
            foreach (var limit in limits)
            {
                var row = state[limit.RowKey];
                var count = row?.GetInt32("Count") ?? 0;
                if (count >= limit.PerHour)
                {
                    _full[Key(partition, limit.RowKey)] = true;
                    return new(false, retryAfter, state) { Partition = partition };
                }

                actions.Add(row is null
                    ? new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(partition, limit.RowKey) { ["Count"] = 1 })
                    : new TableTransactionAction(TableTransactionActionType.UpdateMerge, new TableEntity(partition, limit.RowKey) { ["Count"] = count + 1 }, row.ETag));
            }

            try
            {
                var responses = (await table.SubmitTransactionAsync(actions, cancellationToken)).Value;
                for (var i = 0; i < limits.Count; i++)
                {
                    var before = state[limits[i].RowKey];
                    var after = before is null ? new TableEntity(partition, limits[i].RowKey) : new TableEntity(before);
                    after["Count"] = (before?.GetInt32("Count") ?? 0) + 1;
                    Remember(partition, after, responses.Count > i ? responses[i].Headers.ETag : null);
                }

                return new(true, retryAfter, state) { Partition = partition };
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412)
            {
                // Another request (here or on another instance) counted first: read what is there and count again,
                // after a short random pause so a crowd of racers does not collide again in step.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, 10 * attempt)), cancellationToken);
                var rows = await Task.WhenAll(limits.Select(l => table.GetEntityIfExistsAsync<TableEntity>(partition, l.RowKey, cancellationToken: cancellationToken)));
                for (var i = 0; i < limits.Count; i++)
                {
                    state[limits[i].RowKey] = rows[i].HasValue ? rows[i].Value : null;
                }
            }
        }

        // Only under a storm of requests for the same rows: refuse this one briefly rather than count it unsafely.
        logger.LogWarning("Public rate limit for store {StoreId} still contended after {Attempts} attempts", storeId, MaxAttempts);
        return new(false, TimeSpan.FromSeconds(1), state) { Partition = partition };
    }

    /// <summary>Keeps <paramref name="values"/> on the limit's row, in the window <paramref name="admission"/> counted it in, until that window ends.</summary>
    public async Task NoteAsync(Admission admission, Limit limit, IReadOnlyDictionary<string, object?> values, CancellationToken cancellationToken)
    {
        var partition = admission.Partition;
        var table = await storage.TableAsync(Table);
        var update = new TableEntity(partition, limit.RowKey);
        foreach (var (name, value) in values) update[name] = value;
        Response response;
        try
        {
            response = await table.UpdateEntityAsync(update, ETag.All, TableUpdateMode.Merge, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // The window ended and was purged meanwhile: nothing to keep it for.
            return;
        }

        if (_known.TryGetValue(Key(partition, limit.RowKey), out var known))
        {
            var after = new TableEntity(known);
            foreach (var (name, value) in values) after[name] = value;
            Remember(partition, after, response.Headers.ETag);
        }
    }

    private void Remember(string partition, TableEntity row, ETag? etag)
    {
        var key = Key(partition, row.RowKey);
        if (etag is not { } value)
        {
            _known.TryRemove(key, out _);
            return;
        }

        row.ETag = value;
        if (_known.Count >= MaxRemembered) _known.Clear();
        _known[key] = row;
    }

    /// <summary>A limit's row in a window, as this instance remembers it.</summary>
    private static string Key(string partition, string rowKey) => partition + "\n" + rowKey;

    /// <summary>A new window: what was remembered about the last one is of no use any more.</summary>
    private void Forget(DateTimeOffset start)
    {
        var current = Interlocked.Read(ref _window);
        if (current == start.UtcTicks || Interlocked.CompareExchange(ref _window, start.UtcTicks, current) != current) return;
        _known.Clear();
        _full.Clear();
    }
}
