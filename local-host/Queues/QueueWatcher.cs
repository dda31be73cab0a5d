using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Automation.LocalHost.Queues;

/// <summary>
/// Wakes an idle listener when this process writes to its queue (Functions' SharedQueueWatcher), so work produced
/// here is picked up at once instead of after the back-off. The app's storage clients report their writes through
/// <see cref="QueueWriteNotifier"/>.
/// </summary>
public sealed class QueueWatcher
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _signals = new(StringComparer.Ordinal);

    public void Notify(string queueName)
    {
        var signal = _signals.GetOrAdd(queueName, _ => new SemaphoreSlim(0, 1));
        if (signal.CurrentCount == 0)
        {
            try { signal.Release(); } catch (SemaphoreFullException) { /* already signalled */ }
        }
    }

    /// <summary>Waits for <paramref name="delay"/> or until the queue is notified, whichever is first.</summary>
    public async Task WaitAsync(string queueName, TimeSpan delay, TimeProvider time, CancellationToken cancellationToken)
    {
        var signal = _signals.GetOrAdd(queueName, _ => new SemaphoreSlim(0, 1));
        using var timeout = new CancellationTokenSource(delay, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await signal.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The back-off elapsed.
        }
    }
}

/// <summary>Tells the <see cref="QueueWatcher"/> about every message this process puts on a queue.</summary>
public sealed class QueueWriteNotifier(QueueWatcher watcher) : HttpPipelineSynchronousPolicy
{
    public override void OnReceivedResponse(HttpMessage message)
    {
        if (message.Response.Status != 201 || message.Request.Method != RequestMethod.Post) return;
        var path = message.Request.Uri.Path.TrimEnd('/');
        if (!path.EndsWith("/messages", StringComparison.Ordinal)) return;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length >= 2) watcher.Notify(segments[^2]);
    }
}

/// <summary>Functions' randomized exponential back-off for empty polls: ~100 ms, 200, 300, 500, 900 … up to the maximum.</summary>
internal sealed class PollingBackoff(TimeSpan minimum, TimeSpan maximum)
{
    private int _exponent;

    public void Reset() => _exponent = 0;

    public TimeSpan Next()
    {
        var factor = 0.8 + (Random.Shared.NextDouble() * 0.4);
        var delta = minimum.TotalMilliseconds * factor * Math.Pow(2, Math.Min(_exponent, 20));
        _exponent++;
        var next = TimeSpan.FromMilliseconds(minimum.TotalMilliseconds + delta);
        return next > maximum ? maximum : next;
    }
}
