using Automation.LocalHost.Functions;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Automation.LocalHost.Timers;

/// <summary>host.json <c>singleton</c> (timer listeners' blob lease).</summary>
public sealed class SingletonOptions
{
    public const string Section = Configuration.FunctionsConfiguration.JobHostSection + ":singleton";

    public TimeSpan ListenerLockPeriod { get; set; } = TimeSpan.FromMinutes(1);
    public TimeSpan ListenerLockRecoveryPollingInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>The host's identity: Functions' <c>AzureFunctionsWebHost__hostid</c>, which scopes listener locks and timer status.</summary>
public sealed record HostIdentity(string Id);

/// <summary>
/// Runs one timer function as Functions does: only the instance holding the blob lease
/// <c>azure-webjobs-hosts/locks/{hostId}/{name}.Listener</c> runs the schedule; status is kept in
/// <c>timers/{hostId}/{name}/status</c>; a missed occurrence fires once, past due, when the listener starts;
/// runs never overlap because the next one is computed after the previous one ends.
/// </summary>
internal sealed class TimerListener(
    FunctionDescriptor function,
    TimerSchedule schedule,
    FunctionInvoker invoker,
    HostStorage storage,
    HostIdentity host,
    IOptions<SingletonOptions> singletonOptions,
    TimeProvider time,
    ILogger<TimerListener> logger) : BackgroundService
{
    private const string Container = "azure-webjobs-hosts";

    // The status blob is PascalCase JSON ({"Last","Next","LastUpdated"}), as the Functions host writes it.
    private static readonly System.Text.Json.JsonSerializerOptions StatusJson = new() { PropertyNameCaseInsensitive = true };
    private static readonly TimeSpan MaxWait = TimeSpan.FromHours(12);
    private readonly SingletonOptions _singleton = singletonOptions.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var container = storage.Blobs.GetBlobContainerClient(Container);
        var lockBlob = container.GetBlobClient($"locks/{host.Id}/{function.Name}.Listener");
        var statusBlob = container.GetBlobClient($"timers/{host.Id}/{function.Name}/status");
        var lease = lockBlob.GetBlobLeaseClient();

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await TryAcquireAsync(container, lockBlob, lease, stoppingToken))
                {
                    await Task.Delay(_singleton.ListenerLockRecoveryPollingInterval, time, stoppingToken);
                    continue;
                }

                logger.LogInformation("Timer {Function} holds the listener lock on this instance; schedule {Schedule}", function.Name, schedule.Text);
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
            catch (Exception ex)
            {
                logger.LogWarning("Timer {Function}: storage error ({Error}); retrying", function.Name, ex is RequestFailedException rf ? $"{rf.Status} {rf.ErrorCode}" : ex.GetType().Name);
                try { await Task.Delay(_singleton.ListenerLockRecoveryPollingInterval, time, stoppingToken); }
                catch (OperationCanceledException) { break; }
            }
        }
    }

    private async Task RunScheduleAsync(BlobClient statusBlob, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var status = await ReadStatusAsync(statusBlob, cancellationToken);
        if (status is null)
        {
            await WriteStatusAsync(statusBlob, new TimerScheduleStatus(default, schedule.Next(now), now), cancellationToken);
            if (function.RunOnStartup) await InvokeAsync(statusBlob, null, pastDue: false, scheduledFor: now, cancellationToken);
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
                logger.LogInformation("Timer {Function} is past due (was due {Due}); running once now", function.Name, status.Next);
                await InvokeAsync(statusBlob, status, pastDue: true, scheduledFor: now, cancellationToken);
            }
            else if (function.RunOnStartup)
            {
                await InvokeAsync(statusBlob, status, pastDue: false, scheduledFor: now, cancellationToken);
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

    private async Task InvokeAsync(BlobClient statusBlob, TimerScheduleStatus? status, bool pastDue, DateTimeOffset scheduledFor, CancellationToken cancellationToken)
    {
        var info = new TimerInfo
        {
            IsPastDue = pastDue,
            ScheduleStatus = status is null ? null! : new Microsoft.Azure.Functions.Worker.ScheduleStatus
            {
                Last = status.Last.UtcDateTime,
                Next = status.Next.UtcDateTime,
                LastUpdated = status.LastUpdated.UtcDateTime,
            },
        };
        try
        {
            await invoker.InvokeAsync(function, new FunctionTrigger(info, new Dictionary<string, object?>()), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // As in Functions: a failed run is not retried; the next occurrence is the retry.
            logger.LogError("Timer {Function} failed: {Error}", function.Name, Automation.Runtime.LogText.Detailed(ex));
        }

        var last = scheduledFor > time.GetUtcNow() ? scheduledFor : time.GetUtcNow();
        await WriteStatusAsync(statusBlob, new TimerScheduleStatus(last, schedule.Next(last), last), CancellationToken.None);
    }

    private async Task<bool> TryAcquireAsync(BlobContainerClient container, BlobClient lockBlob, BlobLeaseClient lease, CancellationToken cancellationToken)
    {
        try
        {
            await lockBlob.UploadAsync(BinaryData.Empty, overwrite: false, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
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
        catch (Exception ex)
        {
            logger.LogWarning("Timer {Function} lost its listener lock ({Error}); another instance may take over", function.Name, ex.GetType().Name);
            await leaseLost.CancelAsync();
        }
    }

    private static async Task ReleaseQuietlyAsync(BlobLeaseClient lease)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try { await lease.ReleaseAsync(cancellationToken: timeout.Token); }
        catch (Exception) { /* the lease runs out by itself */ }
    }

    private static async Task<TimerScheduleStatus?> ReadStatusAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            var content = await blob.DownloadContentAsync(cancellationToken);
            return content.Value.Content.ToObjectFromJson<TimerScheduleStatus>(StatusJson);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    private static Task WriteStatusAsync(BlobClient blob, TimerScheduleStatus status, CancellationToken cancellationToken) =>
        blob.UploadAsync(BinaryData.FromObjectAsJson(status), overwrite: true, cancellationToken);
}
