using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.DurableTask.Client;

namespace Automation.LocalHost.Functions;

/// <summary>What started an invocation: the trigger's value and its metadata, and what else the function may bind.</summary>
internal sealed record FunctionTrigger(object? Value, IReadOnlyDictionary<string, object?> BindingData)
{
    public HttpContext? Http { get; init; }
    public object? OrchestrationInput { get; init; }
}

/// <summary>
/// Invokes a function as the worker does: a new DI scope, the class activated with its constructor's services, the
/// app's middleware around the call, parameters bound from the trigger.
/// </summary>
internal sealed class FunctionInvoker
{
    private const string InvocationKey = "Automation.LocalHost.Invocation";
    private readonly IServiceScopeFactory _scopes;
    private readonly FunctionExecutionDelegate _pipeline;
    private readonly ConcurrentDictionary<Type, ObjectFactory> _factories = new();
    private readonly ConcurrentDictionary<FunctionDescriptor, LocalFunctionDefinition> _definitions = new();
    private readonly IServiceProvider _services;

    public FunctionInvoker(IServiceProvider services, LocalFunctionsApplicationBuilder app)
    {
        _services = services;
        _scopes = services.GetRequiredService<IServiceScopeFactory>();
        _pipeline = app.BuildPipeline(context => ((Invocation)context.Items[InvocationKey]).RunAsync(context));
    }

    public async Task<object?> InvokeAsync(FunctionDescriptor function, FunctionTrigger trigger, CancellationToken cancellationToken)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var (context, invocation) = Prepare(function, trigger, scope.ServiceProvider, cancellationToken);
        var previousServices = trigger.Http?.RequestServices;
        if (trigger.Http is not null) trigger.Http.RequestServices = scope.ServiceProvider;
        try
        {
            await _pipeline(context);
            return invocation.Result;
        }
        finally
        {
            if (trigger.Http is not null) trigger.Http.RequestServices = previousServices!;
        }
    }

    /// <summary>
    /// For orchestrators: everything runs on the orchestration's own thread without awaiting anything that is not the
    /// orchestration's (the scope is disposed synchronously), as Durable requires.
    /// </summary>
    public Task<object?> InvokeOrchestratorAsync(FunctionDescriptor function, FunctionTrigger trigger)
    {
        var scope = _scopes.CreateScope();
        var (context, invocation) = Prepare(function, trigger, scope.ServiceProvider, CancellationToken.None);
        return Run();

        async Task<object?> Run()
        {
            using (scope)
            {
                await _pipeline(context);
                return invocation.Result;
            }
        }
    }

    private (LocalFunctionContext, Invocation) Prepare(FunctionDescriptor function, FunctionTrigger trigger, IServiceProvider services, CancellationToken cancellationToken)
    {
        var definition = _definitions.GetOrAdd(function, f => new LocalFunctionDefinition(f));
        var context = new LocalFunctionContext(definition, services, trigger.BindingData, cancellationToken);
        if (trigger.Http is not null) context.Items["HttpRequestContext"] = trigger.Http;
        var invocation = new Invocation(this, function, trigger);
        context.Items[InvocationKey] = invocation;
        return (context, invocation);
    }

    private object? Activate(FunctionDescriptor function, IServiceProvider services) =>
        function.Method.IsStatic ? null : _factories.GetOrAdd(function.Method.DeclaringType!, t => ActivatorUtilities.CreateFactory(t, Type.EmptyTypes))(services, null);

    private sealed class Invocation(FunctionInvoker invoker, FunctionDescriptor function, FunctionTrigger trigger)
    {
        public object? Result { get; private set; }

        public async Task RunAsync(FunctionContext context)
        {
            var instance = invoker.Activate(function, context.InstanceServices);
            var arguments = function.Parameters.Select(p => Bind(p, context)).ToArray();
            object? returned;
            try
            {
                returned = function.Method.Invoke(instance, arguments);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                throw;
            }

            Result = await Unwrap(function.Method.ReturnType, returned);
            if (instance is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
            else if (instance is IDisposable disposable) disposable.Dispose();
        }

        private object? Bind(FunctionParameterBinding binding, FunctionContext context) => binding.Source switch
        {
            ParameterSource.Trigger => trigger.Value,
            ParameterSource.FunctionContext => context,
            ParameterSource.CancellationToken => context.CancellationToken,
            ParameterSource.DurableClient => context.InstanceServices.GetRequiredService<DurableTaskClient>(),
            ParameterSource.OrchestrationInput => trigger.OrchestrationInput,
            ParameterSource.RouteValue => RouteValue(binding.Parameter),
            _ => throw new InvalidOperationException($"Unbound parameter {binding.Parameter.Name}."),
        };

        private object? RouteValue(ParameterInfo parameter)
        {
            var raw = trigger.Http?.GetRouteValue(parameter.Name!)?.ToString();
            if (raw is null) return parameter.HasDefaultValue ? parameter.DefaultValue : null;
            var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
            return type == typeof(string) ? raw
                : type == typeof(long) ? long.Parse(raw, System.Globalization.CultureInfo.InvariantCulture)
                : type == typeof(int) ? int.Parse(raw, System.Globalization.CultureInfo.InvariantCulture)
                : Guid.Parse(raw);
        }

        private static async Task<object?> Unwrap(Type declared, object? returned)
        {
            switch (returned)
            {
                case null:
                    return null;
                case Task task:
                    await task;
                    return declared.IsGenericType ? declared.GetProperty(nameof(Task<int>.Result))!.GetValue(task) : null;
                default:
                    if (declared.IsGenericType && declared.GetGenericTypeDefinition() == typeof(ValueTask<>))
                    {
                        var asTask = (Task)declared.GetMethod(nameof(ValueTask<int>.AsTask))!.Invoke(returned, null)!;
                        await asTask;
                        return asTask.GetType().GetProperty(nameof(Task<int>.Result))!.GetValue(asTask);
                    }

                    return returned;
            }
        }
    }
}
