using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.Azure.Functions.Worker;

namespace Automation.LocalHost.Functions;

/// <summary>The <see cref="FunctionContext"/> a function and the app's middleware see on this host.</summary>
internal sealed class LocalFunctionContext : FunctionContext
{
    public LocalFunctionContext(LocalFunctionDefinition definition, IServiceProvider services, IReadOnlyDictionary<string, object?> bindingData, CancellationToken cancellationToken)
    {
        FunctionDefinition = definition;
        InstanceServices = services;
        BindingContext = new LocalBindingContext(bindingData);
        _cancellationToken = cancellationToken;
        TraceContext = new LocalTraceContext(Activity.Current?.Id ?? "", Activity.Current?.TraceStateString ?? "");
    }

    private readonly CancellationToken _cancellationToken;

    public override CancellationToken CancellationToken => _cancellationToken;
    public override string InvocationId { get; } = Guid.NewGuid().ToString();
    public override string FunctionId => FunctionDefinition.Id;
    public override TraceContext TraceContext { get; }
    public override BindingContext BindingContext { get; }
    public override RetryContext RetryContext { get; } = new LocalRetryContext();
    public override IServiceProvider InstanceServices { get; set; }
    public override FunctionDefinition FunctionDefinition { get; }
    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();
    public override IInvocationFeatures Features { get; } = new LocalInvocationFeatures();

    private sealed class LocalBindingContext(IReadOnlyDictionary<string, object?> data) : BindingContext
    {
        public override IReadOnlyDictionary<string, object?> BindingData { get; } = data;
    }

    private sealed class LocalTraceContext(string parent, string state) : TraceContext
    {
        public override string TraceParent { get; } = parent;
        public override string TraceState { get; } = state;
    }

    private sealed class LocalRetryContext : RetryContext
    {
        public override int RetryCount => 0;
        public override int MaxRetryCount => 0;
    }

    private sealed class LocalInvocationFeatures : IInvocationFeatures
    {
        private readonly Dictionary<Type, object> _features = [];

        public void Set<T>(T instance)
        {
            if (instance is null) _features.Remove(typeof(T));
            else _features[typeof(T)] = instance;
        }

        public T? Get<T>() => _features.TryGetValue(typeof(T), out var value) ? (T)value : default;

        public IEnumerator<KeyValuePair<Type, object>> GetEnumerator() => _features.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>A function's definition in the shape the worker gets it from the host: name, entry point and its bindings' types.</summary>
internal sealed class LocalFunctionDefinition : FunctionDefinition
{
    public LocalFunctionDefinition(FunctionDescriptor function)
    {
        Name = function.Name;
        Id = function.Name;
        EntryPoint = function.EntryPoint;
        PathToAssembly = function.Method.DeclaringType!.Assembly.Location;
        Parameters = [.. function.Method.GetParameters().Select(p => new FunctionParameter(p.Name!, p.ParameterType))];
        var inputs = ImmutableDictionary.CreateBuilder<string, BindingMetadata>();
        foreach (var binding in function.Parameters)
        {
            var type = binding.Source switch
            {
                ParameterSource.Trigger => function.Trigger switch
                {
                    TriggerKind.Http => "httpTrigger",
                    TriggerKind.Queue => "queueTrigger",
                    TriggerKind.Timer => "timerTrigger",
                    TriggerKind.Orchestration => "orchestrationTrigger",
                    _ => "activityTrigger",
                },
                ParameterSource.DurableClient => "durableClient",
                _ => null,
            };
            if (type is not null) inputs[binding.Parameter.Name!] = new LocalBindingMetadata(binding.Parameter.Name!, type, BindingDirection.In);
        }

        InputBindings = inputs.ToImmutable();
        OutputBindings = function.Trigger == TriggerKind.Http
            ? ImmutableDictionary<string, BindingMetadata>.Empty.Add("$return", new LocalBindingMetadata("$return", "http", BindingDirection.Out))
            : ImmutableDictionary<string, BindingMetadata>.Empty;
    }

    public override ImmutableArray<FunctionParameter> Parameters { get; }
    public override string PathToAssembly { get; }
    public override string EntryPoint { get; }
    public override string Id { get; }
    public override string Name { get; }
    public override IImmutableDictionary<string, BindingMetadata> InputBindings { get; }
    public override IImmutableDictionary<string, BindingMetadata> OutputBindings { get; }

    private sealed class LocalBindingMetadata(string name, string type, BindingDirection direction) : BindingMetadata
    {
        public override string Name { get; } = name;
        public override string Type { get; } = type;
        public override BindingDirection Direction { get; } = direction;
    }
}
