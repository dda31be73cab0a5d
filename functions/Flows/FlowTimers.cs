using Automation.Events;

namespace Automation.Flows;

/// <summary>The message that wakes a flow. A wake-up whose <see cref="WakeId"/> the flow no longer waits for is a no-op.</summary>
// WARNING: messages in flight on the flow-wakeups queue; change additively.
public sealed record FlowWakeUp(string StoreId, string FlowId, int WakeId, DateTimeOffset DueAt);

/// <summary>Arms a flow's wake-up. A port so that logic tests can drive time with a fake clock.</summary>
public interface IFlowTimers
{
    Task ArmAsync(FlowWakeUp wakeUp, CancellationToken cancellationToken);
}

/// <summary>
/// Wake-ups are delayed queue messages, as Durable Functions' timers are. A queue message can be invisible for at
/// most 7 days, so a longer wait arrives early and is re-armed for the rest.
/// </summary>
public sealed class QueueFlowTimers(EventPublisher publisher, TimeProvider time) : IFlowTimers
{
    public const string QueueName = "flow-wakeups";

    /// <summary>Azure's cap on a message's initial invisibility is 7 days; stay a little under it.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(6);

    public Task ArmAsync(FlowWakeUp wakeUp, CancellationToken cancellationToken)
    {
        var delay = wakeUp.DueAt - time.GetUtcNow();
        if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
        if (delay > MaxDelay) delay = MaxDelay;
        return publisher.SendAsync(QueueName, wakeUp, delay, cancellationToken);
    }
}
