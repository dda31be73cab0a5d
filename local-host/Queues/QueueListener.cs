using System.Diagnostics;
using Automation.LocalHost.Functions;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;

namespace Automation.LocalHost.Queues;

/// <summary>
/// Runs one queue-triggered function with the Storage Queues extension's semantics: batch receive, a lease renewed
/// at half-time while the function runs, retry through visibility, the bare body to <c>&lt;queue&gt;-poison</c> after
/// maxDequeueCount, back-off when idle, and a drain on shutdown that finishes or releases what is in flight.
/// Any storage failure (storage gone for a while) is a back-off, never the end of the listener.
/// </summary>
internal sealed class QueueListener(
    FunctionDescriptor function,
    string queueName,
    FunctionInvoker invoker,
    HostStorage storage,
    IOptions<QueuesOptions> queueOptions,
    IOptions<LocalHostOptions> hostOptions,
    QueueWatcher watcher,
    TimeProvider time,
    ILogger<QueueListener> logger) : BackgroundService
{
    private static readonly TimeSpan MinimumPollingInterval = TimeSpan.FromMilliseconds(100);
    private readonly QueuesOptions _options = queueOptions.Value;
    private readonly LocalHostOptions _host = hostOptions.Value;
    private readonly SemaphoreSlim _slotFreed = new(0);
    private int _inFlight;

    /// <summary>The queue this listener serves.</summary>
    public string QueueName => queueName;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var queue = storage.Queues.GetQueueClient(queueName);
        var backoff = new PollingBackoff(MinimumPollingInterval, _options.MaxPollingInterval);
        using var processing = new CancellationTokenSource();
        var running = new HashSet<Task>();
        logger.LogInformation("Listening to queue {Queue} for {Function}", queueName, function.Name);

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (Volatile.Read(ref _inFlight) > _options.EffectiveNewBatchThreshold)
                {
                    await _slotFreed.WaitAsync(stoppingToken);
                }

                QueueMessage[] messages;
                try
                {
                    messages = await queue.ReceiveMessagesAsync(_options.BatchSize, _host.MessageLease, stoppingToken);
                }
                catch (RequestFailedException ex) when (ex.Status == 404)
                {
                    messages = []; // The queue does not exist yet: nothing to do until someone writes to it.
                }

                if (messages.Length == 0)
                {
                    await watcher.WaitAsync(queueName, backoff.Next(), time, stoppingToken);
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
            catch (Exception ex)
            {
                // Storage unreachable, throttled or answering errors: back off and try again; the listener lives on.
                logger.LogWarning("Receiving from {Queue} failed ({Error}); backing off", queueName, Describe(ex));
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

        logger.LogInformation("Stopping {Function}: waiting up to {Timeout} for {Count} in-flight messages", function.Name, _host.DrainTimeout, pending.Length);
        var all = Task.WhenAll(pending);
        if (await Task.WhenAny(all, Task.Delay(_host.DrainTimeout, time)) != all)
        {
            // Out of time: cancel the invocations; each releases its message for another instance.
            await processing.CancelAsync();
            await Task.WhenAny(all, Task.Delay(_host.StopStorageTimeout * 2, time));
        }
    }

    private async Task ProcessAsync(QueueClient queue, QueueMessage message, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var receipt = new PopReceipt(message.PopReceipt);
        try
        {
            if (message.DequeueCount > _options.MaxDequeueCount)
            {
                logger.LogError("Message {MessageId} on {Queue} was dequeued {Count} times without completing; moving it to poison", message.MessageId, queueName, message.DequeueCount);
                await MoveToPoisonAsync(queue, message, receipt);
                return;
            }

            using var renewal = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var renewing = RenewLeaseAsync(queue, message.MessageId, receipt, renewal.Token);
            Exception? failure = null;
            var started = Stopwatch.GetTimestamp();
            try
            {
                var trigger = new FunctionTrigger(TriggerValue(message), BindingData(message));
                await invoker.InvokeAsync(function, trigger, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await renewal.CancelAsync();
                await renewing;
                await StopBoundedAsync(ct => queue.UpdateMessageAsync(message.MessageId, receipt.Value, visibilityTimeout: TimeSpan.Zero, cancellationToken: ct));
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
                logger.LogDebug("{Function} completed message {MessageId} in {Elapsed} ms", function.Name, message.MessageId, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                await IgnoreGoneAsync(ct => queue.DeleteMessageAsync(message.MessageId, receipt.Value, ct));
            }
            else if (message.DequeueCount >= _options.MaxDequeueCount)
            {
                logger.LogError("{Function} failed message {MessageId} (attempt {Attempt}): {Error}; moving it to {Poison}", function.Name, message.MessageId, message.DequeueCount, Describe(failure), queueName + "-poison");
                await MoveToPoisonAsync(queue, message, receipt);
            }
            else
            {
                logger.LogWarning("{Function} failed message {MessageId} (attempt {Attempt} of {Max}): {Error}", function.Name, message.MessageId, message.DequeueCount, _options.MaxDequeueCount, Describe(failure));
                await IgnoreGoneAsync(ct => queue.UpdateMessageAsync(message.MessageId, receipt.Value, visibilityTimeout: _options.VisibilityTimeout, cancellationToken: ct));
            }
        }
        catch (Exception ex)
        {
            // Completing or releasing failed (storage away): the lease runs out and the message comes back, as in Functions.
            logger.LogWarning("Could not settle message {MessageId} on {Queue} ({Error}); it will reappear when its lease ends", message.MessageId, queueName, Describe(ex));
        }
    }

    private object TriggerValue(QueueMessage message)
    {
        var type = function.Parameters.First(p => p.Source == ParameterSource.Trigger).Parameter.ParameterType;
        return type == typeof(string) ? message.Body.ToString()
            : type == typeof(BinaryData) ? message.Body
            : message;
    }

    /// <summary>The queue trigger's metadata, by the names Functions gives it.</summary>
    private static Dictionary<string, object?> BindingData(QueueMessage message) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["QueueTrigger"] = message.Body.ToString(),
        ["DequeueCount"] = message.DequeueCount,
        ["Id"] = message.MessageId,
        ["PopReceipt"] = message.PopReceipt,
        ["InsertionTime"] = message.InsertedOn,
        ["ExpirationTime"] = message.ExpiresOn,
        ["NextVisibleTime"] = message.NextVisibleOn,
    };

    private async Task RenewLeaseAsync(QueueClient queue, string messageId, PopReceipt receipt, CancellationToken cancellationToken)
    {
        var interval = _host.MessageLease / 2;
        try
        {
            while (true)
            {
                await Task.Delay(interval, time, cancellationToken);
                var updated = await queue.UpdateMessageAsync(messageId, receipt.Value, visibilityTimeout: _host.MessageLease, cancellationToken: cancellationToken);
                receipt.Value = updated.Value.PopReceipt;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            logger.LogWarning("Renewing the lease of message {MessageId} on {Queue} failed ({Error})", messageId, queueName, Describe(ex));
        }
    }

    /// <summary>As the Functions host does it: the bare body, as a new message, in <c>&lt;queue&gt;-poison</c> (created if missing).</summary>
    private async Task MoveToPoisonAsync(QueueClient queue, QueueMessage message, PopReceipt receipt)
    {
        var poison = storage.Queues.GetQueueClient(queueName + "-poison");
        try
        {
            await poison.SendMessageAsync(message.Body, timeToLive: TimeSpan.FromSeconds(-1));
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            await poison.CreateIfNotExistsAsync();
            await poison.SendMessageAsync(message.Body, timeToLive: TimeSpan.FromSeconds(-1));
        }

        watcher.Notify(poison.Name);
        await IgnoreGoneAsync(ct => queue.DeleteMessageAsync(message.MessageId, receipt.Value, ct));
    }

    private async Task IgnoreGoneAsync(Func<CancellationToken, Task> operation)
    {
        try
        {
            await operation(CancellationToken.None);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 400)
        {
            // Someone else owns or removed the message (pop receipt mismatch): nothing left to do, as in Functions.
            logger.LogDebug("Message on {Queue} was already gone ({Code})", queueName, ex.ErrorCode);
        }
    }

    /// <summary>A storage call made while stopping: bounded, because storage may be gone already.</summary>
    private async Task StopBoundedAsync(Func<CancellationToken, Task> operation)
    {
        using var timeout = new CancellationTokenSource(_host.StopStorageTimeout, time);
        try
        {
            await operation(timeout.Token);
        }
        catch (Exception ex)
        {
            logger.LogDebug("Releasing a message on {Queue} while stopping failed ({Error}); its lease will run out", queueName, Describe(ex));
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        RequestFailedException { Status: > 0 } rf => $"{rf.Status} {rf.ErrorCode}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    private async Task DelayQuietly(TimeSpan delay, CancellationToken cancellationToken)
    {
        try { await Task.Delay(delay, time, cancellationToken); } catch (OperationCanceledException) { }
    }

    private sealed class PopReceipt(string value)
    {
        public string Value { get; set; } = value;
    }
}
