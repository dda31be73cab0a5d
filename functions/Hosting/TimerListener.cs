using Automation.Storage;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Options;

namespace Automation.Hosting;

/// <summary>
/// Runs one timer function as Functions does: only the instance holding the blob lease
/// <c>azure-webjobs-hosts/locks/{hostId}/{name}.Listener</c> runs the schedule; status is kept in
/// <c>timers/{hostId}/{name}/status</c>; a missed occurrence fires once, past due, when the listener starts;
/// runs never overlap because the next one is computed after the previous one ends.
/// </summary>
internal sealed class TimerListener(
    TimerFunctionRegistration registration,
    IServiceScopeFactory scopes,
    StorageClients storage,
    HostIdentity host,
    IOptions<SingletonOptions> singletonOptions,
    TimeProvider time,
    ILogger<TimerListener> logger) : BackgroundService
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromHours(12);
    private readonly SingletonOptions _singleton = singletonOptions.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var container = await storage.ContainerAsync(BlobContainers.WebJobsHosts);
        var lockBlob = container.GetBlobClient($"locks/{host.Id}/{registration.Name}.Listener");
        var statusBlob = container.GetBlobClient($"timers/{host.Id}/{registration.Name}/status");
        var lease = lockBlob.GetBlobLeaseClient();

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await TryAcquireAsync(lockBlob, lease, stoppingToken))
                {
                    await Task.Delay(_singleton.ListenerLockRecoveryPollingInterval, time, stoppingToken);
                    continue;
                }

                logger.LogInformation("Timer {Function} holds the listener lock on this instance; schedule {Schedule} ({TimeZone})", registration.Name, registration.Schedule.Text, registration.Schedule.TimeZone.Id);
                using var leaseLost = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var renewing = RenewAsync(lease, leaseLost);
                try
                {
                    await RunScheduleAsync(statusBlob, leaseLost.Token);
                }
                catch (OperationCanceledException) when (leaseLost.IsCancellationRequested)
                {
                }
                finally
                {
                    await leaseLost.CancelAsync();
                    await renewing;
                    await ReleaseQuietlyAsync(lease);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (RequestFailedException ex)
            {
                logger.LogWarning("Timer {Function}: storage error {Status} {Code}; retrying", registration.Name, ex.Status, ex.ErrorCode);
                await Task.Delay(_singleton.ListenerLockRecoveryPollingInterval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task RunScheduleAsync(BlobClient statusBlob, CancellationToken cancellationToken)
    {
        var schedule = registration.Schedule;
        var now = time.GetUtcNow();
        var status = await ReadStatusAsync(statusBlob, cancellationToken);
        if (status is null)
        {
            await WriteStatusAsync(statusBlob, new ScheduleStatus(default, schedule.Next(now), now), cancellationToken);
        }
        else
        {
            // A changed schedule is not "past due": recompute Next from Last, and from now if that is already over.
            var expected = schedule.Next(status.Last == default ? status.LastUpdated : status.Last);
            if (expected != status.Next)
            {
                status = status with { Next = expected < now ? schedule.Next(now) : expected };
                await WriteStatusAsync(statusBlob, status, cancellationToken);
            }

            if (now > status.Next)
            {
                logger.LogInformation("Timer {Function} is past due (was due {Due}); running once now", registration.Name, status.Next);
                await InvokeAsync(statusBlob, status, pastDue: true, scheduledFor: now, cancellationToken);
            }
        }

        while (true)
        {
            now = time.GetUtcNow();
            var next = schedule.Next(now);
            for (var wait = next - now; wait > TimeSpan.Zero; wait = next - time.GetUtcNow())
            {
                await Task.Delay(wait > MaxWait ? MaxWait : wait, time, cancellationToken);
            }

            var current = await ReadStatusAsync(statusBlob, cancellationToken);
            await InvokeAsync(statusBlob, current, pastDue: false, scheduledFor: next, cancellationToken);
        }
    }

    private async Task InvokeAsync(BlobClient statusBlob, ScheduleStatus? status, bool pastDue, DateTimeOffset scheduledFor, CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var function = (ITimerFunction)scope.ServiceProvider.GetRequiredService(registration.FunctionType);
            await function.RunAsync(new TimerInfo(status, pastDue), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // As in Functions: a failed run is not retried; the next occurrence is the retry.
            logger.LogError(ex, "Timer {Function} failed", registration.Name);
        }

        var last = scheduledFor > time.GetUtcNow() ? scheduledFor : time.GetUtcNow();
        await WriteStatusAsync(statusBlob, new ScheduleStatus(last, registration.Schedule.Next(last), last), CancellationToken.None);
    }

    private async Task<bool> TryAcquireAsync(BlobClient lockBlob, BlobLeaseClient lease, CancellationToken cancellationToken)
    {
        try
        {
            await lockBlob.UploadAsync(BinaryData.Empty, overwrite: false, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
        }

        try
        {
            await lease.AcquireAsync(_singleton.ListenerLockPeriod, cancellationToken: cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    private async Task RenewAsync(BlobLeaseClient lease, CancellationTokenSource leaseLost)
    {
        try
        {
            while (!leaseLost.IsCancellationRequested)
            {
                await Task.Delay(_singleton.ListenerLockPeriod / 3, time, leaseLost.Token);
                await lease.RenewAsync(cancellationToken: leaseLost.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (RequestFailedException ex)
        {
            logger.LogWarning("Timer {Function} lost its listener lock ({Status}); another instance may take over", registration.Name, ex.Status);
            await leaseLost.CancelAsync();
        }
    }

    private static async Task ReleaseQuietlyAsync(BlobLeaseClient lease)
    {
        try { await lease.ReleaseAsync(); }
        catch (RequestFailedException) { }
    }

    private static async Task<ScheduleStatus?> ReadStatusAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            var content = await blob.DownloadContentAsync(cancellationToken);
            return content.Value.Content.ToObjectFromJson<ScheduleStatus>(Json.Options);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    private static Task WriteStatusAsync(BlobClient blob, ScheduleStatus status, CancellationToken cancellationToken) =>
        blob.UploadAsync(BinaryData.FromObjectAsJson(status, Json.Options), overwrite: true, cancellationToken);
}
