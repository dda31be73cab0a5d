using Automation.Runtime;
using Automation.Storage;

namespace Automation.Events;

/// <summary>Puts an event on every queue that consumes it.</summary>
public sealed class EventPublisher(StorageClients storage)
{
    public async Task PublishAsync(StoreEvent storeEvent, CancellationToken cancellationToken)
    {
        // The consumers' invocations continue this trace (Runtime/TelemetryMiddleware).
        var body = BinaryData.FromObjectAsJson(storeEvent with { TraceParent = storeEvent.TraceParent ?? AutomationTelemetry.CurrentTraceParent }, Json.Options);
        foreach (var queueName in EventRoutes.QueuesFor(storeEvent))
        {
            var queue = await storage.QueueAsync(queueName);
            // Never expires: an automation that is down for a week still gets its events.
            await queue.SendMessageAsync(body, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: cancellationToken);
        }
    }

    /// <summary>Sends any JSON message to a queue (for automations' own internal work queues).</summary>
    public async Task SendAsync<T>(string queueName, T message, TimeSpan? delay, CancellationToken cancellationToken)
    {
        var queue = await storage.QueueAsync(queueName);
        await queue.SendMessageAsync(AutomationTelemetry.WithTraceParent(BinaryData.FromObjectAsJson(message, Json.Options)), visibilityTimeout: delay, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: cancellationToken);
    }
}
