using Automation.LocalHost.Functions;
using DurableTask.Core;
using Microsoft.DurableTask;

namespace Automation.LocalHost.Durable;

/// <summary>An orchestrator function, as the Durable worker's shims run it.</summary>
internal sealed class FunctionOrchestrator(FunctionDescriptor function, FunctionInvoker invoker, DataConverter converter, ILoggerFactory loggers) : ITaskOrchestrator
{
    public Type InputType => function.InputType ?? typeof(object);
    public Type OutputType => typeof(object);

    public Task<object?> RunAsync(TaskOrchestrationContext context, object? input)
    {
        var wrapped = new LocalOrchestrationContext(context, converter, loggers);
        var bindingData = new Dictionary<string, object?> { ["instanceId"] = context.InstanceId };
        return invoker.InvokeOrchestratorAsync(function, new FunctionTrigger(wrapped, bindingData) { OrchestrationInput = input });
    }
}

/// <summary>An activity function, as the Durable worker's shims run it: its input deserialized to the trigger parameter's type.</summary>
internal sealed class FunctionActivity(FunctionDescriptor function, FunctionInvoker invoker, CancellationToken stopping) : ITaskActivity
{
    public Type InputType => function.InputType ?? typeof(object);
    public Type OutputType => typeof(object);

    public Task<object?> RunAsync(TaskActivityContext context, object? input)
    {
        var bindingData = new Dictionary<string, object?> { ["instanceId"] = context.InstanceId };
        return invoker.InvokeAsync(function, new FunctionTrigger(input, bindingData), stopping);
    }
}

/// <summary>DurableTask.Core's registration of a named orchestration or activity: a new shim per execution.</summary>
internal sealed class NamedCreator<T> : ObjectCreator<T>
{
    private readonly Func<T> _create;

    public NamedCreator(string name, Func<T> create)
    {
        Name = name;
        Version = "";
        _create = create;
    }

    public override T Create() => _create();
}
