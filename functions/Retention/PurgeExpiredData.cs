using Microsoft.Azure.Functions.Worker;

namespace Automation.Retention;

/// <summary>
/// Daily: deletes every row and blob past its retention (<c>Retention:*</c>, <c>Webhooks:RetentionDays</c>), store by
/// store, each kind read by key or by its time-ordered index (<see cref="DayIndex"/>) — never by scanning a table.
/// </summary>
public sealed class PurgeExpiredData(RetentionPurges purges, TimeProvider time)
{
    /// <summary>Daily at 03:30 UTC.</summary>
    public const string Schedule = "0 30 3 * * *";

    [Function(nameof(PurgeExpiredData))]
    public Task Run([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        purges.RunAsync(time.GetUtcNow(), cancellationToken);
}
