using Automation.Stores;

namespace Automation.Retention;

/// <summary>Rows (and their blobs) of one kind that the app keeps for a limited time, purged daily, store by store.</summary>
public interface IRetentionPurge
{
    /// <summary>What is purged, for the log (the table's name).</summary>
    string Name { get; }

    /// <summary>Deletes what this store keeps of it that is past retention at <paramref name="now"/>; returns how many items went.</summary>
    Task<int> PurgeAsync(string storeId, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>Runs every <see cref="IRetentionPurge"/> for every configured store; one failing does not stop the others.</summary>
public sealed class RetentionPurges(IEnumerable<IRetentionPurge> purges, StoreRegistry stores, ILogger<RetentionPurges> logger)
{
    public async Task<IReadOnlyDictionary<string, int>> RunAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var purged = new Dictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<Exception>();
        foreach (var purge in purges)
        {
            purged[purge.Name] = 0;
            foreach (var store in stores.All)
            {
                try
                {
                    purged[purge.Name] += await purge.PurgeAsync(store.Id, now, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError("Purging {Name} of store {StoreId} failed: {Error}", purge.Name, store.Id, ex.GetType().Name);
                    failures.Add(ex);
                }
            }

            logger.LogInformation("Purged {Count} item(s) of {Name} past retention", purged[purge.Name], purge.Name);
        }

        if (failures.Count > 0) throw new AggregateException($"{failures.Count} purge(s) failed; the rest completed.", failures);
        return purged;
    }
}
