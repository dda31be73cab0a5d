using Microsoft.DurableTask;
using Moq;

namespace Automation.Tests.Infrastructure;

/// <summary>
/// Drives an orchestrator function with a Moq'd <see cref="TaskOrchestrationContext"/>: the test fires its durable timers
/// (the orchestration's clock moves to the timer's time), raises its external events, and scripts its activities. The
/// orchestrator's continuations run inline, so after each call the orchestrator has gone as far as it can.
/// </summary>
public sealed class OrchestrationDriver
{
    private readonly List<PendingTimer> _timers = [];
    private readonly Dictionary<string, Queue<Action<object?>>> _eventWaiters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<object?, object?>> _activities = new(StringComparer.Ordinal);

    public OrchestrationDriver(string instanceId, DateTime nowUtc)
    {
        Now = nowUtc;
        Context = new Mock<TaskOrchestrationContext>(MockBehavior.Loose) { CallBase = true };
        Context.SetupGet(c => c.InstanceId).Returns(instanceId);
        Context.SetupGet(c => c.CurrentUtcDateTime).Returns(() => Now);
        Context.SetupGet(c => c.IsReplaying).Returns(false);
        Context.Setup(c => c.SetCustomStatus(It.IsAny<object?>())).Callback<object?>(status => CustomStatus = status);
        Context.Setup(c => c.ContinueAsNew(It.IsAny<object?>(), It.IsAny<bool>())).Callback<object?, bool>((input, _) => ContinuedWith = input);
        Context.Setup(c => c.CreateTimer(It.IsAny<DateTime>(), It.IsAny<CancellationToken>())).Returns<DateTime, CancellationToken>(CreateTimer);
        Context.Setup(c => c.WaitForExternalEvent<It.IsAnyType>(It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Returns(new InvocationFunc(invocation => WaitForEvent(invocation.Method.GetGenericArguments()[0], (string)invocation.Arguments[0]!)));
        Context.Setup(c => c.CallActivityAsync<It.IsAnyType>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns(new InvocationFunc(invocation => CallActivity(invocation.Method.GetGenericArguments()[0], (TaskName)invocation.Arguments[0]!, invocation.Arguments[1])));
    }

    public Mock<TaskOrchestrationContext> Context { get; }
    public DateTime Now { get; set; }
    public object? CustomStatus { get; private set; }
    public object? ContinuedWith { get; private set; }

    /// <summary>Every activity called, in order, with its input.</summary>
    public List<(string Name, object? Input)> ActivityCalls { get; } = [];

    /// <summary>Timers not yet fired or cancelled, in the order created.</summary>
    public IReadOnlyList<DateTime> PendingTimers => [.. _timers.Where(t => !t.Source.Task.IsCompleted).Select(t => t.FireAt)];

    /// <summary>What activity <paramref name="name"/> returns (or throws) for its input.</summary>
    public OrchestrationDriver OnActivity(string name, Func<object?, object?> result)
    {
        _activities[name] = result;
        return this;
    }

    /// <summary>Fires the earliest pending timer: the orchestration's clock moves to its time.</summary>
    public DateTime FireNextTimer()
    {
        var timer = _timers.Where(t => !t.Source.Task.IsCompleted).OrderBy(t => t.FireAt).FirstOrDefault()
            ?? throw new InvalidOperationException("The orchestrator is not waiting on any timer.");
        if (timer.FireAt > Now) Now = timer.FireAt;
        timer.Source.TrySetResult();
        return timer.FireAt;
    }

    /// <summary>Raises an external event; like Durable, an event nobody waits for yet is buffered until someone does.</summary>
    public void RaiseEvent(string name, object? payload)
    {
        if (_eventWaiters.TryGetValue(name, out var waiters) && waiters.Count > 0) waiters.Dequeue()(payload);
        else throw new InvalidOperationException($"The orchestrator is not waiting for {name}.");
    }

    private Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        var timer = new PendingTimer(fireAt, new TaskCompletionSource());
        cancellationToken.Register(() => timer.Source.TrySetCanceled(cancellationToken));
        _timers.Add(timer);
        return timer.Source.Task;
    }

    private object WaitForEvent(Type type, string name)
    {
        var source = Activator.CreateInstance(typeof(TaskCompletionSource<>).MakeGenericType(type))!;
        var setResult = source.GetType().GetMethod(nameof(TaskCompletionSource<int>.TrySetResult))!;
        if (!_eventWaiters.TryGetValue(name, out var waiters)) _eventWaiters[name] = waiters = new Queue<Action<object?>>();
        waiters.Enqueue(payload => setResult.Invoke(source, [payload]));
        return source.GetType().GetProperty(nameof(TaskCompletionSource<int>.Task))!.GetValue(source)!;
    }

    private object CallActivity(Type resultType, TaskName name, object? input)
    {
        ActivityCalls.Add((name.Name, input));
        var fromResult = typeof(Task).GetMethod(nameof(Task.FromResult))!.MakeGenericMethod(resultType);
        var fromException = typeof(Task).GetMethods().Single(m => m.Name == nameof(Task.FromException) && m.IsGenericMethod).MakeGenericMethod(resultType);
        try
        {
            var result = _activities.TryGetValue(name.Name, out var handler) ? handler(input) : null;
            return fromResult.Invoke(null, [result])!;
        }
        catch (Exception ex)
        {
            // An activity that failed after its retries reaches the orchestrator as TaskFailedException.
            var failure = new TaskFailedException(name.Name, ActivityCalls.Count, TaskFailureDetails.FromException(ex));
            return fromException.Invoke(null, [failure])!;
        }
    }

    private sealed record PendingTimer(DateTime FireAt, TaskCompletionSource Source);
}
