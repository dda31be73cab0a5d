using System.Diagnostics;
using System.Text.Json;
using Automation.Storage;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;

namespace Automation.Hosting;

/// <summary>
/// Runs one queue-triggered function with the Storage Queues extension's semantics: batch receive, a lease renewed
/// at half-time while the function runs, retry through visibility, poison after maxDequeueCount, back-off when
/// idle, and a drain on shutdown that finishes or releases what is in flight.
/// </summary>
internal sealed class QueueListener(
    QueueFunctionRegistration registration,
    IServiceScopeFactory scopes,
    StorageClients storage,
    IOptions<QueuesOptions> queueOptions,
    IOptions<HostingOptions> hostingOptions,
    QueueWatcher watcher,
    TimeProvider time,
    ILogger<QueueListener> logger) : BackgroundService
{
    private static readonly TimeSpan MinimumPollingInterval = TimeSpan.FromMilliseconds(100);
    private readonly QueuesOptions _options = queueOptions.Value;
    private readonly HostingOptions _hosting = hostingOptions.Value;
    private readonly SemaphoreSlim _slotFreed = new(0);
    private int _inFlight;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = await storage.QueueAsync(registration.QueueName);
        var backoff = new PollingBackoff(MinimumPollingInterval, _options.MaxPollingInterval);
        using var processing = new CancellationTokenSource();
        var running = new HashSet<Task>();
        logger.LogInformation("Listening to queue {Queue} for {Function}", registration.QueueName, registration.Name);

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (Volatile.Read(ref _inFlight) > _options.EffectiveNewBatchThreshold)
                {
                    await _slotFreed.WaitAsync(stoppingToken);
                }

                QueueMessage[] messages = await queue.ReceiveMessagesAsync(_options.BatchSize, _hosting.MessageLease, stoppingToken);
                if (messages.Length == 0)
                {
                    await watcher.WaitAsync(registration.QueueName, backoff.Next(), time, stoppingToken);
                    continue;
                }

                backoff.Reset();
                foreach (var message in messages)
                {
                    Interlocked.Increment(ref _inFlight);
                    var task = ProcessAsync(queue, message, processing.Token);
                    lock (running) running.Add(task);
                    _ = task.ContinueWith(t =>
                    {
                        lock (running) running.Remove(t);
                        Interlocked.Decrement(ref _inFlight);
                        _slotFreed.Release();
                    }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (RequestFailedException ex)
            {
                logger.LogWarning("Receiving from {Queue} failed ({Status} {Code}); backing off", registration.QueueName, ex.Status, ex.ErrorCode);
                await DelayQuietly(backoff.Next(), stoppingToken);
            }
        }

        await DrainAsync(running, processing);
    }

    private async Task DrainAsync(HashSet<Task> running, CancellationTokenSource processing)
    {
        Task[] pending;
        lock (running) pending = [.. running];
        if (pending.Length == 0) return;

        logger.LogInformation("Stopping {Function}: waiting up to {Timeout} for {Count} in-flight messages", registration.Name, _hosting.DrainTimeout, pending.Length);
        var all = Task.WhenAll(pending);
        if (await Task.WhenAny(all, Task.Delay(_hosting.DrainTimeout, time)) != all)
        {
            // Out of time: cancel the invocations; each releases its message for another instance.
            await processing.CancelAsync();
            await all;
        }
    }

    private async Task ProcessAsync(QueueClient queue, QueueMessage message, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var receipt = new PopReceipt(message.PopReceipt);
        if (message.DequeueCount > _options.MaxDequeueCount)
        {
            await MoveToPoisonAsync(queue, message, receipt, $"Dequeued {message.DequeueCount} times (more than maxDequeueCount {_options.MaxDequeueCount}) without completing.");
            return;
        }

        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewing = RenewLeaseAsync(queue, message.MessageId, receipt, renewal.Token);
        Exception? failure = null;
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var function = (IQueueFunction)scope.ServiceProvider.GetRequiredService(registration.FunctionType);
            var context = new QueueMessageContext(registration.QueueName, message.MessageId, message.Body, message.DequeueCount, message.InsertedOn);
            await function.RunAsync(context, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await renewal.CancelAsync();
            await renewing;
            await ReleaseAsync(queue, message.MessageId, receipt);
            return;
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        await renewal.CancelAsync();
        await renewing;

        if (failure is null)
        {
            logger.LogDebug("{Function} completed message {MessageId} in {Elapsed} ms", registration.Name, message.MessageId, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            await IgnoreGoneAsync(() => queue.DeleteMessageAsync(message.MessageId, receipt.Value, CancellationToken.None));
            return;
        }

        var permanent = failure is PermanentFailureException;
        if (permanent || message.DequeueCount >= _options.MaxDequeueCount)
        {
            logger.LogError(failure, "{Function} failed message {MessageId} (attempt {Attempt}); moving it to {Poison}", registration.Name, message.MessageId, message.DequeueCount, QueueNames.Poison(registration.QueueName));
            await MoveToPoisonAsync(queue, message, receipt, Describe(failure));
        }
        else
        {
            logger.LogWarning("{Function} failed message {MessageId} (attempt {Attempt} of {Max}): {Error}", registration.Name, message.MessageId, message.DequeueCount, _options.MaxDequeueCount, Describe(failure));
            await IgnoreGoneAsync(() => queue.UpdateMessageAsync(message.MessageId, receipt.Value, visibilityTimeout: _options.VisibilityTimeout, cancellationToken: CancellationToken.None));
        }
    }

    private async Task RenewLeaseAsync(QueueClient queue, string messageId, PopReceipt receipt, CancellationToken cancellationToken)
    {
        var interval = _hosting.MessageLease / 2;
        try
        {
            while (true)
            {
                await Task.Delay(interval, time, cancellationToken);
                var updated = await queue.UpdateMessageAsync(messageId, receipt.Value, visibilityTimeout: _hosting.MessageLease, cancellationToken: cancellationToken);
                receipt.Value = updated.Value.PopReceipt;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (RequestFailedException ex)
        {
            logger.LogWarning("Renewing the lease of message {MessageId} on {Queue} failed ({Status})", messageId, registration.QueueName, ex.Status);
        }
    }

    private async Task MoveToPoisonAsync(QueueClient queue, QueueMessage message, PopReceipt receipt, string error)
    {
        var poison = await storage.QueueAsync(QueueNames.Poison(registration.QueueName));
        var envelope = new PoisonMessage(registration.QueueName, registration.Name, message.MessageId, message.DequeueCount, error, time.GetUtcNow(), message.Body.ToString());
        await poison.SendMessageAsync(BinaryData.FromObjectAsJson(envelope, Json.Options), timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: CancellationToken.None);
        watcher.Notify(QueueNames.Poison(registration.QueueName));
        await IgnoreGoneAsync(() => queue.DeleteMessageAsync(message.MessageId, receipt.Value, CancellationToken.None));
    }

    private Task ReleaseAsync(QueueClient queue, string messageId, PopReceipt receipt) =>
        IgnoreGoneAsync(() => queue.UpdateMessageAsync(messageId, receipt.Value, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None));

    private async Task IgnoreGoneAsync(Func<Task> operation)
    {
        try
        {
            await operation();
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 400)
        {
            // Someone else owns or removed the message (pop receipt mismatch): nothing left to do, as in Functions.
            logger.LogDebug("Message on {Queue} was already gone ({Code})", registration.QueueName, ex.ErrorCode);
        }
    }

    private static string Describe(Exception ex) =>
        ex is PermanentFailureException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";

    private async Task DelayQuietly(TimeSpan delay, CancellationToken cancellationToken)
    {
        try { await Task.Delay(delay, time, cancellationToken); } catch (OperationCanceledException) { }
    }

    private sealed class PopReceipt(string value)
    {
        public string Value { get; set; } = value;
    }
}

/// <summary>
/// What lands in <c>&lt;queue&gt;-poison</c>: the original body with the last error, so nothing vanishes and the reason
/// is visible. <c>POST /api/admin/poison/{queue}/replay</c> puts bodies back on their queue.
/// </summary>
// WARNING: operators and the replay endpoint read poison messages in this shape.
public sealed record PoisonMessage(string Queue, string Function, string MessageId, long DequeueCount, string Error, DateTimeOffset FailedAt, string Body)
{
    public static PoisonMessage? TryParse(BinaryData data)
    {
        try { return data.ToObjectFromJson<PoisonMessage>(Json.Options); }
        catch (JsonException) { return null; }
    }
}
