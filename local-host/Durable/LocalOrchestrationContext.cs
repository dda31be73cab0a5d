using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;

namespace Automation.LocalHost.Durable;

/// <summary>
/// What an orchestrator function gets, as the isolated Durable extension wraps the engine's context: an orchestrator
/// without a typed input parameter reads its input with <see cref="GetInput{T}"/> as any type, and every call from
/// a thread that is not the orchestration's (an illegal await) fails, as it does on Azure.
/// </summary>
internal sealed class LocalOrchestrationContext(TaskOrchestrationContext inner, DataConverter converter, ILoggerFactory loggers) : TaskOrchestrationContext
{
    public override TaskName Name => inner.Name;
    public override string InstanceId => inner.InstanceId;
    public override ParentOrchestrationInstance? Parent => inner.Parent;
    public override DateTime CurrentUtcDateTime => inner.CurrentUtcDateTime;
    public override bool IsReplaying => inner.IsReplaying;
    public override string Version => inner.Version;
    public override IReadOnlyDictionary<string, object?> Properties => inner.Properties;
    public override TaskOrchestrationEntityFeature Entities => inner.Entities;
    protected override ILoggerFactory LoggerFactory => loggers;

    public override T? GetInput<T>() where T : default
    {
        EnsureLegalAccess();
        var input = inner.GetInput<object>();
        return input switch
        {
            null => default,
            T typed => typed,
            _ => converter.Deserialize<T>(converter.Serialize(input)),
        };
    }

    public override Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null)
    {
        EnsureLegalAccess();
        return inner.CallActivityAsync<TResult>(name, input, options);
    }

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        EnsureLegalAccess();
        return inner.CreateTimer(fireAt, cancellationToken);
    }

    public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default)
    {
        EnsureLegalAccess();
        return inner.WaitForExternalEvent<T>(eventName, cancellationToken);
    }

    public override void SendEvent(string instanceId, string eventName, object payload)
    {
        EnsureLegalAccess();
        inner.SendEvent(instanceId, eventName, payload);
    }

    public override void SetCustomStatus(object? customStatus)
    {
        EnsureLegalAccess();
        inner.SetCustomStatus(customStatus);
    }

    public override Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null)
    {
        EnsureLegalAccess();
        return inner.CallSubOrchestratorAsync<TResult>(orchestratorName, input, options);
    }

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true)
    {
        EnsureLegalAccess();
        inner.ContinueAsNew(newInput, preserveUnprocessedEvents);
    }

    public override Guid NewGuid()
    {
        EnsureLegalAccess();
        return inner.NewGuid();
    }

    private static void EnsureLegalAccess()
    {
        if (!global::DurableTask.Core.OrchestrationContext.IsOrchestratorThread)
        {
            throw new InvalidOperationException(
                "An orchestrator function awaited something that is not a Durable task (an illegal await): orchestrators may only await " +
                "activities, timers, external events and sub-orchestrations.");
        }
    }
}
